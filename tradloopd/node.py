"""The live composition root: builds every core, channel and actor, and runs them in one nursery.

Edges and their backpressure policies (DESIGN §5):

    feed ──bars──▶ venue ──events, then bars──▶ risk, strategy      (all blocking, never dropped)
    strategy ──intents──▶ risk ──intents (durable first)──▶ venue    (order path)
    venue, risk ──messages──▶ journal ──after commit──▶ broadcaster  (observers: lossy, counted)
    control ──ControlRequest──▶ risk                                  (order path)

Order-path edges block and never drop; a send blocked past `stall-s` is a crash (systemd restarts,
startup reconciles from the journal). The loop strategy → risk → venue → strategy could deadlock
with blocking bounded channels, so: the risk guard caps orders in flight to the venue
(`max-in-flight`), a strategy may place at most `max-orders-per-bar` orders per call (else it is
disabled and trading halts), the feedback inboxes (strategy, risk) hold everything those caps allow,
and the feed only hands the venue a bar while the venue's inbox is under half full. A flood test
checks this. Startup order is sinks first: journal, venue, risk, strategy, control, feed last.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import msgspec
import structlog
import trio

from tradloopd.account import Account
from tradloopd.actors.journal import JournalActor, JournalEntry
from tradloopd.actors.risk import ControlRequest, RiskActor
from tradloopd.actors.strategy import StrategyActor
from tradloopd.actors.venue import PaperVenueActor
from tradloopd.channels import Edge, open_edge
from tradloopd.clock import Clock
from tradloopd.context import OrderIds
from tradloopd.messages import Bar, Halt, Resume, SubmitOrder
from tradloopd.model import Instrument, OrderStatus
from tradloopd.risk.guard import RiskGuard, RiskLimits
from tradloopd.runner import StrategyRunner
from tradloopd.simulator import Simulator, SimulatorConfig
from tradloopd.store.journal import EquityPoint, Journal, JournalMessage, denied_on_restart

log = structlog.get_logger()


class VenueActor(Protocol):
    """What the node needs from the actor that owns the venue (paper simulator or a broker).

    Inbox: bars, `SubmitOrder`, `CancelOrder`. For every order event it emits, in order: journal,
    risk, strategy; and every bar it passes on to risk and strategy after handling it.
    """

    name: str
    connected: bool
    counters: Any

    async def run(self, *, task_status: trio.TaskStatus[None] = ...) -> None: ...


@dataclass(frozen=True)
class VenueParts:
    """What a venue factory gets to build its actor: the node's settings, the rebuilt account
    (to restore or reconcile from), the venue's inbox and the three edges it must emit on."""

    settings: NodeSettings
    clock: Clock
    account: Account
    journal: Journal
    inbox: trio.MemoryReceiveChannel[Any]
    to_journal: Edge[JournalEntry]
    to_risk: Edge[Any]
    to_strategy: Edge[Any]


VenueFactory = Callable[[VenueParts], VenueActor]


def paper_venue(parts: VenueParts) -> PaperVenueActor:
    """The paper venue: the order simulator, restored from the journal."""
    settings = parts.settings
    simulator = Simulator(settings.simulator, settings.instruments, parts.journal.initial_cash, {})
    simulator.restore(list(parts.account.orders), list(parts.account.fills))
    return PaperVenueActor(simulator, parts.clock, parts.inbox, parts.to_journal, parts.to_risk,
                           parts.to_strategy)


class Feed(Protocol):
    """What the node needs from a market data feed (CCXT polling, or history for parity tests)."""

    async def run(self, send: trio.MemorySendChannel[Bar], *,
                  task_status: trio.TaskStatus[None] = ...) -> None: ...


@dataclass(frozen=True)
class StrategySlot:
    """One strategy instance to run: its class and parameters, on one symbol and timeframe."""

    strategy_cls: type
    params: msgspec.Struct
    symbol: str
    timeframe_ns: int
    name: str
    timeframe: str = ""  # as the feed spells it ("1m"), for warm-up requests


@dataclass(frozen=True)
class NodeSettings:
    node_id: str
    state_dir: Path
    cash: Decimal
    simulator: SimulatorConfig
    risk: RiskLimits
    instruments: dict[str, Instrument]
    stall_s: float = 30.0
    heartbeat_s: float = 30.0
    shutdown_grace_s: float = 10.0
    cancel_on_shutdown: bool = False
    max_orders_per_bar: int = 64
    warmup_bars: int = 200
    history_bars: int = 10_000  # bars each live strategy keeps (`tradloopd.runner`)


@dataclass
class Wiring:
    """Everything `build` made; the node runs it, tests inspect it."""

    journal: Journal
    journal_actor: JournalActor
    venue: VenueActor
    risk: RiskActor
    strategy: StrategyActor
    journal_edge: Edge[JournalEntry]
    venue_inbox: trio.MemorySendChannel[Any]
    venue_receive: trio.MemoryReceiveChannel[Any]
    risk_inbox: Edge[Any]
    resend: list[SubmitOrder] = field(default_factory=list)

    def actors(self) -> list[Any]:
        return [self.journal_actor, self.venue, self.risk, self.strategy]


Publish = Callable[[list[JournalMessage], list[EquityPoint]], None]


def build(settings: NodeSettings, slots: Sequence[StrategySlot], clock: Clock,
          publish: Publish, venue: VenueFactory = paper_venue) -> Wiring:
    """Open the journal, rebuild state from it, and wire the actors (nothing runs yet)."""
    journal = Journal(settings.state_dir / "journal.sqlite", initial_cash=settings.cash)
    risk_account, strategy_account = _rebuild(journal), _rebuild(journal)
    _deny_unsent(journal, (risk_account, strategy_account), clock.now_ns())
    cap = settings.risk.max_in_flight
    feedback = 4 * (cap + settings.max_orders_per_bar) + 64
    journal_edge: Edge[JournalEntry]
    journal_rx: trio.MemoryReceiveChannel[JournalEntry]
    risk_edge: Edge[Any]
    strategy_edge: Edge[Any]
    journal_edge, journal_rx = open_edge("journal", feedback, settings.stall_s)
    venue_tx, venue_rx = trio.open_memory_channel[Any](2 * cap + 64)
    risk_edge, risk_rx = open_edge("risk", feedback, settings.stall_s)
    strategy_edge, strategy_rx = open_edge("strategy", feedback, settings.stall_s)
    venue_edge = Edge("venue", venue_tx.clone(), settings.stall_s)
    ids = OrderIds(settings.node_id, _last_seq(risk_account, rf"{re.escape(settings.node_id)}-(\d+)"))
    manual = OrderIds(f"{settings.node_id}-m",
                      _last_seq(risk_account, rf"{re.escape(settings.node_id)}-m-(\d+)"))
    marks: dict[str, float] = {}
    runners = [_runner(slot, settings, strategy_account, clock, ids, marks) for slot in slots]
    guard = RiskGuard(settings.risk)
    _restore_state(guard, journal)
    wiring = Wiring(
        journal=journal,
        journal_actor=JournalActor(journal, journal_rx, publish),
        venue=venue(VenueParts(settings, clock, _rebuild(journal), journal, venue_rx, journal_edge,
                               risk_edge, strategy_edge)),
        risk=RiskActor(guard, risk_account, clock, manual, risk_rx, journal_edge, venue_edge,
                       strategy_edge),
        strategy=StrategyActor(runners, strategy_account, clock, marks, strategy_rx, risk_edge,
                               max_orders_per_call=settings.max_orders_per_bar),
        journal_edge=journal_edge, venue_inbox=venue_tx, venue_receive=venue_rx,
        risk_inbox=risk_edge,
    )
    wiring.resend = [SubmitOrder(order=t.order, ts_event=t.ts_last) for t in risk_account.orders
                     if t.status is OrderStatus.SUBMITTED]
    return wiring


def _rebuild(journal: Journal) -> Account:
    from tradloopd.store.journal import _apply

    account = Account(journal.initial_cash)
    for _, message in journal.read():
        _apply(account, message)
    return account


def _deny_unsent(journal: Journal, accounts: Sequence[Account], now: int) -> None:
    """Intents logged but never sent (the daemon died in between) are denied, and that is logged."""
    unsent = [t for t in accounts[0].orders if t.status is OrderStatus.INITIALIZED]
    denials = [denied_on_restart(t, now) for t in unsent]
    if denials:
        journal.append(denials)
        for account in accounts:
            for denial in denials:
                account.apply(denial)
        log.warning("unsent_intents_denied", orders=[d.client_order_id for d in denials])


def _restore_state(guard: RiskGuard, journal: Journal) -> None:
    """The last halt or resume in the journal decides the trading state after a restart."""
    last: Halt | Resume | None = None
    for _, message in journal.read():
        if isinstance(message, Halt | Resume):
            last = message
    if isinstance(last, Halt):
        guard.halt(last.reason)


def _last_seq(account: Account, pattern: str) -> int:
    found = [int(m.group(1)) for t in account.orders
             if (m := re.fullmatch(pattern, t.order.parent_id or t.client_order_id))]
    return max(found, default=0)


def _runner(slot: StrategySlot, settings: NodeSettings, account: Account, clock: Clock,
            ids: OrderIds, marks: dict[str, float]) -> StrategyRunner:
    instrument = settings.instruments.get(slot.symbol) or Instrument(symbol=slot.symbol)
    return StrategyRunner(slot.strategy_cls(slot.params), strategy_id=f"{slot.name}:{slot.symbol}",
                          instrument=instrument, timeframe_ns=slot.timeframe_ns, account=account,
                          clock=clock, ids=ids, marks=marks, keep_bars=settings.history_bars)


class Node:
    """Runs a built wiring with a feed, until cancelled or signalled."""

    def __init__(self, settings: NodeSettings, wiring: Wiring, feed: Feed,
                 extra_tasks: Sequence[Callable[..., Awaitable[None]]] = ()) -> None:
        self.settings = settings
        self.wiring = wiring
        self.feed = feed
        self.extra_tasks = list(extra_tasks)
        self.feed_done = trio.Event()
        self.on_bar: Callable[[Bar], None] | None = None  # observers of every bar (lossy publish)
        self.bars_sent = 0

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        wiring = self.wiring
        try:
            async with trio.open_nursery() as nursery:
                for actor in wiring.actors():  # sinks first
                    await nursery.start(actor.run)
                for command in wiring.resend:  # sent before the crash, never acknowledged
                    await wiring.venue_inbox.send(command)
                for task in self.extra_tasks:
                    await nursery.start(task)
                await nursery.start(self._feed)
                nursery.start_soon(self._heartbeat)
                nursery.start_soon(self._watchdog)
                task_status.started()
                log.info("node_started", node_id=self.settings.node_id,
                         strategies=len(wiring.strategy.runners))
        finally:
            wiring.journal.close()

    async def _feed(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Run the feed and pace its bars: a bar enters only while the loop has room for all the
        feedback one bar can cause (see the module docstring); bars wait, they are never dropped."""
        send, receive = trio.open_memory_channel[Bar](16)
        venue = self.wiring.venue_inbox
        async with trio.open_nursery() as nursery:
            await nursery.start(self.feed.run, send)
            task_status.started()
            async with receive:
                async for bar in receive:
                    if self.on_bar is not None:
                        self.on_bar(bar)
                    while not self.has_room():
                        # woken as soon as the strategy finishes a bar; queue depths are polled
                        with trio.move_on_after(0.001):
                            await self.wiring.strategy.bar_done.wait()
                    await venue.send(bar)
                    self.bars_sent += 1
        self.feed_done.set()

    async def _heartbeat(self) -> None:
        while True:
            await trio.sleep(self.settings.heartbeat_s)
            log.info("heartbeat", **self.statistics())

    async def _watchdog(self) -> None:
        """Tell systemd we are alive at half its WATCHDOG_USEC, while the pipeline moves."""
        usec = int(os.environ.get("WATCHDOG_USEC", "0") or 0)
        if not usec:
            return
        notify = _notifier()
        while True:
            await trio.sleep(usec / 2e6)
            notify("WATCHDOG=1")

    def statistics(self) -> dict[str, Any]:
        w = self.wiring
        return {
            "journal": {"written": w.journal_actor.counters.received, "batches": w.journal_actor.batches,
                        "pending": w.journal_actor.pending()},
            "venue": {"received": w.venue.counters.received, "events": w.venue.counters.sent,
                      "queued": w.venue_receive.statistics().current_buffer_used},
            "risk": {"received": w.risk.counters.received, "sent": w.risk.counters.sent,
                     "denied": w.risk.denied, "state": str(w.risk.guard.state),
                     "queued": w.risk_inbox.depth()},
            "strategy": {"received": w.strategy.counters.received, "sent": w.strategy.counters.sent,
                         "errors": w.strategy.counters.errors,
                         "queued": w.strategy.inbox.statistics().current_buffer_used},
        }

    def has_room(self) -> bool:
        """The strategy has handled every bar sent so far, and the loop's inboxes are at most a
        quarter full: then one more bar's feedback (at most max-orders-per-bar orders and their
        events) fits, so the loop cannot fill up and deadlock. Live bars arrive far apart and
        never wait here; a back-fill burst is admitted one bar at a time."""
        w = self.wiring
        loop = (w.risk_inbox.channel.statistics(), w.strategy.inbox.statistics())
        return (w.strategy.bars_done >= self.bars_sent
                and all(s.current_buffer_used <= s.max_buffer_size // 4 for s in loop))

    def is_idle(self) -> bool:
        """Nothing queued anywhere in the pipeline (used for a graceful drain)."""
        w = self.wiring
        return not (w.journal_actor.pending() or w.journal_actor.writing
                    or w.venue_receive.statistics().current_buffer_used
                    or w.risk_inbox.depth() or w.strategy.inbox.statistics().current_buffer_used)

    async def drain(self) -> None:
        """Optionally cancel working orders, then wait (bounded) until the pipeline is idle."""
        wiring = self.wiring
        with trio.move_on_after(self.settings.shutdown_grace_s):
            if self.settings.cancel_on_shutdown:
                from tradloopd.messages import CancelAll

                request = ControlRequest(CancelAll(symbol=None, ts_event=0))
                await wiring.risk_inbox.send(request)
                await request.done.wait()
            quiet = 0
            while quiet < 3:
                await trio.sleep(0.01)
                quiet = quiet + 1 if self.is_idle() else 0


async def control_request(wiring: Wiring, command: Any) -> object:
    """Send a command to the risk guard and wait for its answer."""
    request = ControlRequest(command)
    await wiring.risk_inbox.send(request)
    await request.done.wait()
    return request.result


async def run_until_signalled(node: Node, *, on_ready: Callable[[], None] = lambda: None) -> None:
    """Run the node; SIGINT/SIGTERM drain it gracefully within the grace period, then stop."""
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            await nursery.start(node.run)
            on_ready()
            async for signum in signals:
                log.info("shutdown_requested", signal=signal.Signals(signum).name)
                break
            await node.drain()
            nursery.cancel_scope.cancel()
    log.info("node_stopped")


def _notifier() -> Callable[[str], None]:
    """sd_notify sender when systemd asked for it (NOTIFY_SOCKET), else a no-op."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return lambda _state: None
    import socket

    if address.startswith("@"):
        address = "\0" + address[1:]

    def notify(state: str) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(state.encode(), address)

    return notify


def sd_notify(state: str) -> None:
    """Send READY=1 / STOPPING=1 / WATCHDOG=1 to systemd when running under it."""
    _notifier()(state)

