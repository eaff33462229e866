"""The paper venue actor: the order simulator as a broker, matching orders against live bars.

Inbox: `Bar` (from the feed) | `SubmitOrder` | `CancelOrder` (from the risk guard). For each bar it
first matches the working orders, then passes the bar on, so downstream actors always see a bar's
fills before the bar itself — the same order as the replay driver. Outputs, all order-path edges
(blocking, never dropped, stall = crash), in this order for every event: journal, risk guard,
strategy; then bars to the risk guard and the strategy. Fails by crashing; on restart the
simulator's working orders and account are rebuilt from the journal (`restore`).
"""

from __future__ import annotations

import structlog
import trio

from tradloopd.actors.journal import JournalEntry
from tradloopd.channels import Counters, Edge
from tradloopd.clock import Clock
from tradloopd.messages import Bar, CancelOrder, OrderEvent, SubmitOrder
from tradloopd.simulator import Simulator

VenueInbox = Bar | SubmitOrder | CancelOrder
log = structlog.get_logger()


class PaperVenueActor:
    name = "paper"

    def __init__(self, simulator: Simulator, clock: Clock, inbox: trio.MemoryReceiveChannel[VenueInbox],
                 journal: Edge[JournalEntry], risk: Edge[object], strategy: Edge[object]) -> None:
        self.simulator = simulator
        self.clock = clock
        self.inbox = inbox
        self.journal = journal
        self.risk = risk
        self.strategy = strategy
        self.counters = Counters()
        self.connected = True

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        structlog.contextvars.bind_contextvars(actor="venue")
        async with self.inbox:
            task_status.started()
            async for message in self.inbox:
                self.counters.received += 1
                await self._handle(message)

    async def _handle(self, message: VenueInbox) -> None:
        sim = self.simulator
        match message:
            case Bar():
                sim.last[message.symbol] = message.close
                if sim.books.get(message.symbol):
                    await self._emit(sim.on_bar(message))
                await self.risk.send(message)
                await self.strategy.send(message)
            case SubmitOrder(order=order):
                await self._emit(sim.submit(order, self.clock.now_ns()))
            case CancelOrder():
                await self._emit(sim.cancel(message.client_order_id, self.clock.now_ns(),
                                            message.reason or "canceled"))

    async def _emit(self, events: list[OrderEvent]) -> None:
        for event in events:
            await self.journal.send(JournalEntry(message=event))
            await self.risk.send(event)
            await self.strategy.send(event)
            self.counters.sent += 1
