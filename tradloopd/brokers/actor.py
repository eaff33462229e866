"""The broker actor: the daemon's live venue, driving one or more brokers routed by symbol.

Inbox: `Bar` (from the feed) | `SubmitOrder` | `CancelOrder` (from the risk guard), as for the
paper venue. A bar is passed straight on to the risk guard and the strategy. An order goes to the
broker its symbol routes to (`Router`), if `emulation.decide` finds it native there (else it is
rejected with the reason). Every event a broker reports passes `reconcile.catch_up` against this
actor's account (rebuilt from the journal, then kept current with every event it emits), so a
repeat is dropped; each new one goes to the journal, the risk guard and the strategy, in that
order. All outputs are order-path edges: blocking, never dropped, a stall is a crash.

Beside the inbox, one watcher task per broker: every `poll-s` it resolves unresolved orders by
client order id and polls for fills, cancels and expiries; every `reconcile.interval-s` it
compares the venue's open orders and positions with the account (unknown orders reported or
cancelled; a position difference seen twice in a row halts trading with the reason). Calls to one
broker are serialised (one lock each). A venue outage is logged and retried, with `connected`
false meanwhile; an auth error or a broken invariant crashes the daemon (systemd restarts it and
start-up reconciles, `tradloopd.brokers.startup`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import assert_never

import structlog
import trio

from tradloopd.account import Account
from tradloopd.actors.journal import JournalEntry
from tradloopd.actors.risk import ControlRequest
from tradloopd.brokers import reconcile
from tradloopd.brokers.base import Broker
from tradloopd.brokers.emulation import EMULATION_PENDING, Emulated, Native, Unsupported, decide
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
    OrderRejected,
    OrderUnresolved,
    SubmitOrder,
)
from tradloopd.model import OrderStatus
from tradloopd.orders.state import TrackedOrder

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

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        structlog.contextvars.bind_contextvars(actor="venue")
        async with self.inbox, trio.open_nursery() as nursery:
            for name in self.brokers:
                nursery.start_soon(self._watch, name)
            task_status.started()
            async for message in self.inbox:
                self.counters.received += 1
                await self._handle(message)
            nursery.cancel_scope.cancel()

    async def _handle(self, message: VenueInbox) -> None:
        match message:
            case Bar():
                await self.risk.send(message)
                await self.strategy.send(message)
            case SubmitOrder(order=order):
                await self._submit(order, message.ts_event)
            case CancelOrder():
                await self._cancel(message)
            case _:
                assert_never(message)

    # Orders -------------------------------------------------------------------------------------

    async def _submit(self, order: Order, ts: int) -> None:
        tracked = self.account.orders.get(order.client_order_id)
        if tracked is not None and tracked.status is not OrderStatus.INITIALIZED:
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
                await self._reject(order, f"{reason}; {EMULATION_PENDING}")
            case Unsupported(reason=reason):
                await self._reject(order, reason)
            case Native(order=native):
                async with self._locks[venue]:
                    await self._emit(await self._submit_to(broker, native))
            case decision:
                assert_never(decision)

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

    async def _submit_to(self, broker: Broker, order: Order) -> list[OrderEvent]:
        try:
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
        async with self._locks[venue]:
            try:
                await self._cancel_at(venue, tracked)
            except VenueAuthError:
                raise
            except VenueError as exc:  # the watcher sends it again until the order has ended
                log.warning("cancel_failed", client_order_id=command.client_order_id, error=str(exc))
                self._cancels.add(command.client_order_id)

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
                self.account.apply(new)
                if isinstance(new, OrderFilled):
                    self._fill_ids.add(new.fill_id)
                    self._fills_seen += 1
                await self.journal.send(JournalEntry(message=new))
                await self.risk.send(new)
                await self.strategy.send(new)
                self.counters.sent += 1

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
        return [t for t in self.account.orders.open_orders() if self._venue_of(t.order.symbol) == name]

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
