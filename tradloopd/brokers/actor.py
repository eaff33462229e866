"""The broker actor: the daemon's live venue, driving one or more brokers routed by symbol.

Inbox: `Bar` (from the feed) | `SubmitOrder` | `CancelOrder` (from the risk guard), as for the
paper venue. A bar goes to the order emulator of its venue, then on to the risk guard and the
strategy. An order goes to the broker its symbol routes to (`Router`) when `emulation.decide` finds
it native there; one the venue lacks but the engine can work (`Emulated`: algorithms, contingent
groups, trailing, if-touched, brackets) goes to that venue's order emulator
(`tradloopd.orders.emulator`, rebuilt from the journal on start), which sends the broker only
native child orders and hears every event of the orders it follows; anything else is rejected with
the reason. Every event a broker reports passes `reconcile.catch_up` against this actor's account
(rebuilt from the journal, then kept current with every event it emits), so a repeat is dropped;
each new one (and each of the emulator's own) goes to the journal, the risk guard and the strategy,
in that order. All outputs are order-path edges: blocking, never dropped, a stall is a crash.

Beside the inbox, the emulators' timers (TWAP slices, expiries, timed exits) are checked every
`poll-s` on the injected clock, and one watcher task per broker: every `poll-s` it resolves
unresolved orders by
client order id and polls for fills, cancels and expiries; every `reconcile.interval-s` it
compares the venue's open orders and positions with the account (unknown orders reported or
cancelled; a position difference seen twice in a row halts trading with the reason). Calls to one
broker are serialised (one lock each). A venue outage is logged and retried, with `connected`
false meanwhile; an auth error or a broken invariant crashes the daemon (systemd restarts it and
start-up reconciles, `tradloopd.brokers.startup`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import assert_never

import structlog
import trio

from tradloopd.account import Account
from tradloopd.actors.journal import JournalEntry
from tradloopd.actors.risk import ControlRequest
from tradloopd.brokers import reconcile
from tradloopd.brokers.base import Broker
from tradloopd.brokers.emulation import Emulated, Native, Unsupported, VenueKinds, decide
from tradloopd.brokers.reconcile import PositionDifference, ReconcileSettings
from tradloopd.brokers.router import Router
from tradloopd.channels import Counters, Edge
from tradloopd.clock import Clock
from tradloopd.errors import ConfigError, VenueAuthError, VenueError
from tradloopd.feeds.backoff import Backoff
from tradloopd.messages import (
    Bar,
    CancelOrder,
    Halt,
    Order,
    OrderEvent,
    OrderFilled,
    OrderPlaced,
    OrderRejected,
    OrderUnresolved,
    SubmitOrder,
    Trail,
)
from tradloopd.model import Instrument, OrderStatus
from tradloopd.orders.emulator import Cancel, Emit, Emulator, Place, Release, Step
from tradloopd.orders.state import TrackedOrder
from tradloopd.positions import Position

VenueInbox = Bar | SubmitOrder | CancelOrder
ACKNOWLEDGED = (OrderStatus.ACCEPTED, OrderStatus.TRIGGERED, OrderStatus.PARTIALLY_FILLED)
NS_PER_S = 1_000_000_000
log = structlog.get_logger()


@dataclass(frozen=True)
class WatchSettings:
    """How the actor watches its venues (from `[venue]`): polling, grace for lost orders, policies."""

    poll_s: float = 1.0
    resolve_grace_s: float = 15.0  # an unresolved order the venue does not know is lost only after this
    reconcile: ReconcileSettings = field(default_factory=ReconcileSettings)
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0


class BrokerVenueActor:
    def __init__(self, brokers: Mapping[str, Broker], router: Router, account: Account, clock: Clock,
                 inbox: trio.MemoryReceiveChannel[VenueInbox], journal: Edge[JournalEntry],
                 risk: Edge[object], strategy: Edge[object], settings: WatchSettings | None = None) -> None:
        self.brokers = dict(brokers)
        self.router = router
        self.account = account
        self.clock = clock
        self.inbox = inbox
        self.journal = journal
        self.risk = risk
        self.strategy = strategy
        self.settings = settings or WatchSettings()
        self.name = "+".join(self.brokers)
        self.counters = Counters()
        self._locks = {name: trio.Lock() for name in self.brokers}
        self._up = dict.fromkeys(self.brokers, True)
        self.connected = True  # every venue answers (the node's status shows it)
        self._fill_ids = {fill.fill_id for fill in account.fills}
        self._suspect: dict[str, list[PositionDifference]] = {}
        self._halted_for: dict[str, list[PositionDifference]] = {}
        self._reported: set[str] = set()
        self._cancels: set[str] = set()  # cancels the venue did not get (outage): sent again
        self._fills_seen = 0
        self.emulators = {name: self._emulator(name, broker) for name, broker in self.brokers.items()}
        self._emulating = trio.Lock()  # one task at a time works the emulators
        self._feedback: list[OrderEvent] = []  # events the emulators have not heard yet

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        structlog.contextvars.bind_contextvars(actor="venue")
        async with self.inbox, trio.open_nursery() as nursery:
            for name in self.brokers:
                nursery.start_soon(self._watch, name)
            nursery.start_soon(self._tick)
            task_status.started()
            async for message in self.inbox:
                self.counters.received += 1
                await self._handle(message)
            nursery.cancel_scope.cancel()

    async def _handle(self, message: VenueInbox) -> None:
        match message:
            case Bar():
                venue = self._venue_of(message.symbol)
                if venue is not None and self.emulators[venue].watches(message.symbol):
                    await self._work(venue, lambda: self.emulators[venue].on_bar(message))
                await self.risk.send(message)
                await self.strategy.send(message)
            case SubmitOrder(order=order):
                await self._submit(order, message.ts_event)
            case CancelOrder():
                await self._cancel(message)
            case _:
                assert_never(message)
        await self._work(None, list)

    # Orders -------------------------------------------------------------------------------------

    async def _submit(self, order: Order, ts: int) -> None:
        tracked = self.account.orders.get(order.client_order_id)
        if tracked is not None and tracked.status is not OrderStatus.INITIALIZED:
            if not await self._emulate_again(tracked, ts):
                await self._resend(tracked)
            return
        if tracked is None:
            self.account.add_order(order)
        self.account.mark_submitted(order.client_order_id, ts)
        try:
            venue = self.router.venue_for(order.symbol)
        except ConfigError as exc:
            await self._reject(order, str(exc))
            return
        broker = self.brokers[venue]
        match decide(order, broker.capabilities, venue, self.account.position(order.symbol)):
            case Emulated(reason=reason):
                log.info("order_emulated", client_order_id=order.client_order_id, reason=reason)
                await self._work(venue, lambda: self.emulators[venue].submit(order, ts))
            case Unsupported(reason=reason):
                await self._reject(order, reason)
            case Native() as native:
                async with self._locks[venue]:
                    await self._emit(await self._submit_to(broker, native.order, native.trail))
            case decision:
                assert_never(decision)

    async def _emulate_again(self, tracked: TrackedOrder, ts: int) -> bool:
        """An order the emulator had not taken up when the daemon stopped (still SUBMITTED) is
        taken up now; True if it was."""
        venue = self._venue_of(tracked.order.symbol)
        if venue is None or tracked.status is not OrderStatus.SUBMITTED:
            return False
        emulator = self.emulators[venue]
        if not emulator.takes(tracked.order) or emulator.holds(tracked.client_order_id):
            return False
        await self._work(venue, lambda: emulator.submit(tracked.order, ts))
        return True

    async def _resend(self, tracked: TrackedOrder) -> None:
        """An order sent before a restart and offered again: find it, never send it twice (the
        watcher keeps asking while the venue cannot be reached)."""
        log.warning("resend_resolved_instead", client_order_id=tracked.client_order_id)
        venue = self._venue_of(tracked.order.symbol)
        if venue is None or tracked.status.is_terminal:
            return
        async with self._locks[venue]:
            try:
                await self._resolve(tracked)
            except VenueAuthError:
                raise
            except VenueError as exc:
                log.warning("resolve_failed", client_order_id=tracked.client_order_id, error=str(exc))

    async def _submit_to(self, broker: Broker, order: Order, trail: Trail | None = None) -> list[OrderEvent]:
        try:
            if trail is not None:  # only a venue with native trailing (IB) gets here
                from tradloopd.brokers.ib.convert import Trail as IbTrail

                return await broker.submit(order, trail=IbTrail(amount=trail.amount,  # type: ignore[call-arg]
                                                                percent=trail.percent))
            return await broker.submit(order)
        except VenueAuthError:
            raise
        except VenueError as exc:  # the broker could not tell what happened: find out later
            return [OrderUnresolved(client_order_id=order.client_order_id, reason=str(exc),
                                    ts_event=self.clock.now_ns())]

    async def _reject(self, order: Order, reason: str) -> None:
        log.info("order_rejected", client_order_id=order.client_order_id, reason=reason)
        await self._emit([OrderRejected(client_order_id=order.client_order_id, reason=reason,
                                        ts_event=self.clock.now_ns())])

    async def _cancel(self, command: CancelOrder) -> None:
        tracked = self.account.orders.get(command.client_order_id)
        if tracked is None or tracked.status.is_terminal:
            log.info("cancel_ignored", client_order_id=command.client_order_id,
                     status=None if tracked is None else str(tracked.status))
            return
        venue = self.router.venue_for(tracked.order.symbol)
        emulator = self.emulators[venue]
        if emulator.holds(tracked.client_order_id):
            now, reason = self.clock.now_ns(), command.reason or "canceled"
            await self._work(venue, lambda: emulator.cancel(tracked.client_order_id, now, reason) or [])
            return
        await self._cancel_working(venue, tracked)

    async def _cancel_working(self, venue: str, tracked: TrackedOrder) -> None:
        """Cancel an order working at the venue; one the venue did not get is sent again later."""
        async with self._locks[venue]:
            try:
                await self._cancel_at(venue, tracked)
            except VenueAuthError:
                raise
            except VenueError as exc:  # the watcher sends it again until the order has ended
                log.warning("cancel_failed", client_order_id=tracked.client_order_id, error=str(exc))
                self._cancels.add(tracked.client_order_id)

    async def _cancel_at(self, venue: str, tracked: TrackedOrder) -> None:
        await self._emit(await self.brokers[venue].cancel(tracked.client_order_id, tracked.order.symbol))
        self._cancels.discard(tracked.client_order_id)

    async def _resolve(self, tracked: TrackedOrder) -> None:
        venue = self.router.venue_for(tracked.order.symbol)
        story = await self.brokers[venue].resolve(tracked.order)
        if reconcile.is_unknown_to_venue(story):
            age_s = (self.clock.now_ns() - tracked.ts_last) / NS_PER_S
            if tracked.status in ACKNOWLEDGED:
                log.error("order_missing_at_venue", venue=venue, client_order_id=tracked.client_order_id)
                return  # the venue lost a working order: left for a person and the next start-up
            if age_s < self.settings.resolve_grace_s:
                return  # it may still be on its way to the venue
        await self._emit(story)

    async def _emit(self, events: list[OrderEvent]) -> None:
        """Record and pass on the events the account does not have yet, in order."""
        for event in events:
            tracked = self.account.orders.get(event.client_order_id)
            if tracked is None:
                log.warning("event_for_unknown_order", client_order_id=event.client_order_id,
                            event=type(event).__name__)
                continue
            for new in reconcile.catch_up(tracked, [event], self._fill_ids):
                await self._record(new)

    async def _record(self, event: OrderEvent) -> None:
        """Book one new event and pass it on: journal, risk guard, strategy; the emulators hear it
        once the venue locks are free (`_work`)."""
        self.account.apply(event)
        if isinstance(event, OrderFilled):
            self._fill_ids.add(event.fill_id)
            self._fills_seen += 1
        await self.journal.send(JournalEntry(message=event))
        await self.risk.send(event)
        await self.strategy.send(event)
        self.counters.sent += 1
        self._feedback.append(event)

    # The emulators ------------------------------------------------------------------------------

    def _emulator(self, name: str, broker: Broker) -> Emulator:
        """The order emulator in front of one venue, rebuilt from the journal's orders for it."""
        instruments: dict[str, Instrument] = dict(broker.instruments())
        emulator = Emulator(VenueKinds(broker.capabilities), instruments, self._venue_order, self._position)
        emulator.restore([t for t in self.account.orders if self._venue_of(t.order.symbol) == name])
        return emulator

    def _venue_order(self, client_order_id: str) -> tuple[Order, Decimal] | None:
        tracked = self.account.orders.get(client_order_id)
        if tracked is None or tracked.status.is_terminal:
            return None
        return tracked.order, tracked.filled_qty

    def _position(self, symbol: str) -> Position | None:
        return self.account.portfolio.positions.get(symbol)

    async def _work(self, venue: str | None, produce: Callable[[], list[Step]]) -> None:
        """Ask `venue`'s emulator (`produce`), carry out its steps, then let the emulators hear every
        event since, and carry out their answers, until all is quiet. One task at a time."""
        async with self._emulating:
            if venue is not None:
                await self._carry_out(venue, produce())
            while self._feedback:
                event = self._feedback.pop(0)
                tracked = self.account.orders.get(event.client_order_id)
                name = None if tracked is None else self._venue_of(tracked.order.symbol)
                if name is not None and event.client_order_id in self.emulators[name].listeners:
                    await self._carry_out(name, self.emulators[name].on_event(event))

    async def _carry_out(self, venue: str, steps: list[Step]) -> None:
        for step in steps:
            match step:
                case Emit(event=event):
                    await self._record(event)
                case Place(order=order):
                    await self._send(venue, order, placed=True)
                case Release(order=order):
                    await self._send(venue, order, placed=False)
                case Cancel(client_order_id=client_order_id):  # of a child working at the venue
                    tracked = self.account.orders.get(client_order_id)
                    if tracked is not None and not tracked.status.is_terminal:
                        await self._cancel_working(venue, tracked)
                case _:
                    assert_never(step)

    async def _send(self, venue: str, order: Order, *, placed: bool) -> None:
        """A child (`placed`: announced first) or a held order let go, to the venue if native
        there, else rejected. The venue's lock is held from the announcement on, so the watcher
        never finds the child submitted and not yet sent."""
        broker = self.brokers[venue]
        async with self._locks[venue]:
            if placed:
                await self._record(OrderPlaced(order=order, ts_event=self.clock.now_ns()))
            match decide(order, broker.capabilities, venue, self.account.position(order.symbol)):
                case Native() as native:
                    await self._emit(await self._submit_to(broker, native.order, native.trail))
                case Emulated(reason=reason) | Unsupported(reason=reason):
                    await self._reject(order, reason)

    async def _tick(self) -> None:
        """The emulators' timers, checked every `poll-s` on the injected clock."""
        while True:
            await trio.sleep(self.settings.poll_s)
            now = self.clock.now_ns()
            for name, emulator in self.emulators.items():
                if emulator.timers:
                    await self._work(name, functools.partial(emulator.on_time, now))

    # Watching -----------------------------------------------------------------------------------

    async def _watch(self, name: str) -> None:
        settings = self.settings
        backoff = Backoff(initial_s=settings.backoff_initial_s, max_s=settings.backoff_max_s)
        next_reconcile = trio.current_time() + settings.reconcile.interval_s
        while True:
            await trio.sleep(settings.poll_s)
            try:
                async with self._locks[name]:
                    await self._poll(name)
                    if trio.current_time() >= next_reconcile:
                        await self._reconcile(name)
                        next_reconcile = trio.current_time() + settings.reconcile.interval_s
                await self._work(None, list)
            except VenueAuthError:
                raise
            except VenueError as exc:
                if self._up[name]:
                    log.warning("venue_unavailable", venue=name, error=str(exc))
                self._set_up(name, False)
                await trio.sleep(backoff.next_delay_s())
                continue
            if not self._up[name]:
                log.info("venue_available", venue=name)
            self._set_up(name, True)
            backoff.reset()

    def _set_up(self, name: str, up: bool) -> None:
        self._up[name] = up
        self.connected = all(self._up.values())

    async def _poll(self, name: str) -> None:
        for tracked in self._open_orders(name):
            if tracked.status is OrderStatus.UNRESOLVED:
                await self._resolve(tracked)
            elif tracked.client_order_id in self._cancels:
                await self._cancel_at(name, tracked)
        self._cancels.intersection_update(t.client_order_id for t in self.account.orders.open_orders())
        await self._emit(await self.brokers[name].poll())

    def _open_orders(self, name: str) -> list[TrackedOrder]:
        """Our open orders at the venue `name` (not those its emulator holds: the venue never had them)."""
        held = self.emulators[name].holds
        return [t for t in self.account.orders.open_orders()
                if self._venue_of(t.order.symbol) == name and not held(t.client_order_id)]

    def _venue_of(self, symbol: str) -> str | None:
        try:
            return self.router.venue_for(symbol)
        except ConfigError:
            return None

    async def _reconcile(self, name: str) -> None:
        """Open orders and positions against the venue, while running."""
        broker, policy = self.brokers[name], self.settings.reconcile
        fills_before = self._fills_seen
        snapshot = await broker.snapshot(self.clock.now_ns())
        open_at_venue = {o.client_order_id: o for o in snapshot.open_orders}
        for tracked in self._open_orders(name):
            seen = open_at_venue.get(tracked.client_order_id)
            behind = seen is None or seen.filled_qty != tracked.filled_qty
            if tracked.status is not OrderStatus.UNRESOLVED and behind:
                await self._resolve(tracked)
        found = reconcile.unknown_orders(self.account, snapshot, policy.unknown_orders, starting=False)
        for venue_order in found.cancel:
            log.warning("unknown_venue_order_canceled", venue=name,
                        client_order_id=venue_order.client_order_id, symbol=venue_order.symbol)
            await broker.cancel(venue_order.client_order_id, venue_order.symbol)
        for venue_order in found.report:
            if venue_order.client_order_id not in self._reported:
                self._reported.add(venue_order.client_order_id)
                log.warning("unknown_venue_order", venue=name, client_order_id=venue_order.client_order_id,
                            symbol=venue_order.symbol, policy=policy.unknown_orders)
        differences = reconcile.position_differences(
            self.account, snapshot, [s for s in snapshot.positions if self._venue_of(s) == name])
        await self._check_positions(name, differences, steady=self._fills_seen == fills_before)

    async def _check_positions(self, name: str, differences: list[PositionDifference], *,
                               steady: bool) -> None:
        """Halt when the same differences are seen twice in a row with no fill in between (a fill
        the poll has not seen yet explains a one-off difference)."""
        previous, self._suspect[name] = self._suspect.get(name), differences
        if not differences or differences != previous or not steady:
            return
        if self._halted_for.get(name) == differences:
            return
        self._halted_for[name] = differences
        what = "; ".join(d.describe() for d in differences)
        policy = self.settings.reconcile.position_changes
        then = ("restart the daemon to book the venue's positions (position-changes = accept), then resume"
                if policy == "accept" else "correct the positions, restart the daemon, then resume")
        reason = f"{name}: positions changed outside the daemon ({what}); {then}"
        log.error("positions_differ", venue=name, differences=what, policy=policy)
        await self.risk.send(ControlRequest(Halt(reason=reason, ts_event=self.clock.now_ns())))
