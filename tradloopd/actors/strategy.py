"""The strategy actor: runs every configured strategy on its symbol and timeframe, bar by bar.

Inbox: `Bar` and order events (from the venue), `OrderDenied` and the operator's own orders
(`SubmitOrder`: manual and flatten orders, so positions here include them; from the risk guard).
Each bar goes
to the runners that want it (same symbol and timeframe); events update this actor's account and go
to the strategy that owns the order. Output: the commands strategies place, to the risk guard
(order path: blocking, never dropped, stall = crash). A strategy that raises is disabled and
trading is halted (a `Halt` through the risk guard); the daemon keeps running.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
import trio

from tradloopd.account import Account
from tradloopd.actors.risk import ControlRequest
from tradloopd.channels import Counters, Edge
from tradloopd.clock import Clock
from tradloopd.errors import StrategyError
from tradloopd.messages import Bar, CancelOrder, Halt, OrderEvent, SubmitOrder
from tradloopd.runner import StrategyRunner

StrategyInbox = Bar | OrderEvent | SubmitOrder
log = structlog.get_logger()


class StrategyActor:
    name = "strategy"

    def __init__(self, runners: Sequence[StrategyRunner], account: Account, clock: Clock,
                 marks: dict[str, float], inbox: trio.MemoryReceiveChannel[StrategyInbox],
                 risk: Edge[object], *, max_orders_per_call: int = 64) -> None:
        self.runners = list(runners)
        self.by_id = {r.ctx.strategy_id: r for r in self.runners}
        self.account = account
        self.clock = clock
        self.marks = marks
        self.inbox = inbox
        self.risk = risk
        self.counters = Counters()
        self.last_bar_ts: dict[str, int] = {}
        self.bars_done = 0  # bars fully handled (the node paces the feed on this)
        self.bar_done = trio.Event()  # set (and replaced) each time a bar is handled
        self.max_orders_per_call = max_orders_per_call

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        structlog.contextvars.bind_contextvars(actor=self.name)
        async with self.inbox:
            task_status.started()
            async for message in self.inbox:
                self.counters.received += 1
                match message:
                    case Bar():
                        await self._on_bar(message)
                    case SubmitOrder(order=order):
                        self.account.add_order(order)
                    case _:
                        await self._on_event(message)

    async def _on_bar(self, bar: Bar) -> None:
        self.marks[bar.symbol] = bar.close
        self.last_bar_ts[bar.symbol] = bar.ts_event
        for runner in self.runners:
            if runner.wants(bar):
                await self._run(runner, runner.on_bar, bar)
        self.bars_done += 1
        done, self.bar_done = self.bar_done, trio.Event()
        done.set()

    async def _on_event(self, event: OrderEvent) -> None:
        self.account.apply(event)
        tracked = self.account.orders.get(event.client_order_id)
        assert tracked is not None
        runner = self.by_id.get(tracked.order.strategy_id)
        if runner is not None:
            await self._run(runner, runner.on_event, event)

    async def _run(self, runner: StrategyRunner, call, argument) -> None:  # type: ignore[no-untyped-def]
        try:
            commands: list[SubmitOrder | CancelOrder] = call(argument)
            if len(commands) > self.max_orders_per_call:
                runner.enabled = False
                raise StrategyError(f"strategy {runner.ctx.strategy_id} placed {len(commands)} orders "
                                    f"in one call (max-orders-per-bar {self.max_orders_per_call})")
        except StrategyError as exc:
            self.counters.errors += 1
            log.error("strategy_failed", strategy_id=runner.ctx.strategy_id, error=str(exc))
            await self._halt(f"{exc}")
            return
        for command in commands:
            await self.risk.send(command)
            self.counters.sent += 1

    async def _halt(self, reason: str) -> None:
        request = ControlRequest(Halt(reason=reason, ts_event=self.clock.now_ns()))
        await self.risk.send(request)
