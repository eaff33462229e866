"""The risk guard actor: every order intent passes here, is logged, and is sent or denied.

Inbox: `Bar` and order events (from the venue, to keep its account and last prices current),
`SubmitOrder` / `CancelOrder` (from the strategy), and `ControlRequest` (halt, resume, flatten,
cancel-all, manual orders; from the control server, each answered through the request). An
approved intent is journaled and waits until durable before it goes to the venue; a denial is
journaled and sent back to the strategy as `OrderDenied`. Outputs are order-path edges (blocking,
never dropped, stall = crash): journal, venue, strategy. It also marks equity at each bar close.
Fails by crashing; its account and trading state are rebuilt from the journal on start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import structlog
import trio

from tradloopd.account import Account
from tradloopd.actors.journal import JournalEntry
from tradloopd.channels import Counters, Edge
from tradloopd.clock import Clock
from tradloopd.context import OrderIds
from tradloopd.messages import (
    Bar,
    CancelAll,
    CancelOrder,
    Flatten,
    Halt,
    Order,
    OrderEvent,
    Resume,
    SubmitOrder,
)
from tradloopd.model import Side
from tradloopd.risk.guard import RiskGuard
from tradloopd.store.journal import EquityPoint

log = structlog.get_logger()


@dataclass(slots=True)
class ControlRequest:
    """A command from the control server; `result` is set before `done`."""

    command: SubmitOrder | CancelOrder | CancelAll | Flatten | Halt | Resume
    done: trio.Event = field(default_factory=trio.Event)
    result: object = None


RiskInbox = Bar | OrderEvent | SubmitOrder | CancelOrder | ControlRequest


class RiskActor:
    name = "risk"

    def __init__(self, guard: RiskGuard, account: Account, clock: Clock, manual_ids: OrderIds,
                 inbox: trio.MemoryReceiveChannel[RiskInbox], journal: Edge[JournalEntry],
                 venue: Edge[object], strategy: Edge[object]) -> None:
        self.guard = guard
        self.account = account
        self.clock = clock
        self.manual_ids = manual_ids
        self.inbox = inbox
        self.journal = journal
        self.venue = venue
        self.strategy = strategy
        self.marks: dict[str, float] = {}
        self.counters = Counters()
        self.denied = 0
        self._equity_ts = 0
        self.peak_equity = account.portfolio.initial_cash
        self._day = -1
        self._day_start: Decimal | None = None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        structlog.contextvars.bind_contextvars(actor=self.name)
        async with self.inbox:
            task_status.started()
            async for message in self.inbox:
                self.counters.received += 1
                await self._handle(message)

    async def _handle(self, message: RiskInbox) -> None:
        match message:
            case Bar():
                self.marks[message.symbol] = message.close
                await self._mark_equity(message.ts_event)
            case SubmitOrder():
                await self.submit(message)
            case CancelOrder():
                await self._log_durably(message)
                await self.venue.send(message)
            case ControlRequest():
                message.result = await self._control(message.command)
                message.done.set()
            case _:
                self.account.apply(message)

    async def submit(self, command: SubmitOrder, *, own: bool = False) -> str | None:
        """Check, log and send (or deny) one intent; returns the denial reason, if any.

        `own` marks an operator's order (not from the strategy actor), which the strategy actor
        is told about so that its positions include it.
        """
        order = command.order
        reason = self.guard.check(order, self.account, self.marks.get(order.symbol))
        if reason is None:
            await self._send_own(command) if own else await self._send(command)
            return None
        await self.journal.send(JournalEntry(message=command))
        denied = self.account.deny(order, reason, command.ts_event)
        await self.journal.send(JournalEntry(message=denied))
        if own:
            await self.strategy.send(command)
        await self.strategy.send(denied)
        self.denied += 1
        log.info("order_denied", client_order_id=order.client_order_id, reason=reason)
        return reason

    async def _send(self, command: SubmitOrder) -> None:
        await self._log_durably(command)
        self.account.add_order(command.order)
        self.account.mark_submitted(command.order.client_order_id, command.ts_event)
        await self.venue.send(command)
        self.counters.sent += 1

    async def _send_own(self, command: SubmitOrder) -> None:
        await self.strategy.send(command)
        await self._send(command)

    async def _control(self, command: object) -> object:
        now = self.clock.now_ns()
        match command:
            case Halt(reason=reason):
                await self._log_durably(command)
                self.guard.halt(reason)
                log.warning("trading_halted", reason=reason)
                return "halted"
            case Resume():
                await self._log_durably(command)
                self.guard.resume()
                log.info("trading_resumed")
                return "active"
            case SubmitOrder():
                return await self.submit(command, own=True)
            case CancelOrder():
                await self._log_durably(command)
                await self.venue.send(command)
                return [command.client_order_id]
            case CancelAll(symbol=symbol):
                return await self._cancel_open(symbol, now)
            case Flatten(symbol=symbol):
                return await self._flatten(symbol, now)
        raise TypeError(f"unknown control command {command!r}")

    async def _cancel_open(self, symbol: str | None, now: int) -> list[str]:
        canceled = []
        for tracked in self.account.orders.open_orders(symbol):
            cancel = CancelOrder(client_order_id=tracked.client_order_id, symbol=tracked.order.symbol,
                                 ts_event=now, reason="canceled by operator")
            await self._log_durably(cancel)
            await self.venue.send(cancel)
            canceled.append(tracked.client_order_id)
        return canceled

    async def _flatten(self, symbol: str | None, now: int) -> list[str]:
        """Cancel working orders and close positions at market; allowed even when halted."""
        await self._cancel_open(symbol, now)
        sent = []
        for sym, position in list(self.account.portfolio.positions.items()):
            if not position.qty or symbol not in (None, sym):
                continue
            order = Order(client_order_id=self.manual_ids.next(), symbol=sym,
                          side=Side.SELL if position.qty > 0 else Side.BUY,
                          quantity=abs(position.qty), reduce_only=True, strategy_id="operator",
                          tag="flatten", ts_init=now)
            command = SubmitOrder(order=order, ts_event=now)
            await self._send_own(command)
            sent.append(order.client_order_id)
        log.warning("flatten_sent", symbol=symbol, orders=len(sent))
        return sent

    async def _log_durably(self, message: SubmitOrder | CancelOrder | Halt | Resume) -> None:
        durable = trio.Event()
        await self.journal.send(JournalEntry(message=message, durable=durable))
        await durable.wait()

    async def _mark_equity(self, ts: int) -> None:
        portfolio = self.account.portfolio
        if ts < self._equity_ts or any(s not in self.marks for s, p in portfolio.positions.items() if p.qty):
            return
        self._equity_ts = ts
        equity = portfolio.marked_equity(self.marks)
        self._track_equity(ts, Decimal(repr(equity)))
        point = EquityPoint(ts=ts, equity=equity, cash=float(portfolio.cash))
        await self.journal.send(JournalEntry(equity=point))

    def _track_equity(self, ts: int, equity: Decimal) -> None:
        day = ts // 86_400_000_000_000
        if day != self._day:
            self._day, self._day_start = day, equity
        self.peak_equity = max(self.peak_equity, equity)

    def day_start_equity(self, current: Decimal) -> Decimal:
        """Equity at the first mark of the current UTC day (the current equity before any mark)."""
        return current if self._day_start is None else self._day_start

    def statistics(self) -> dict[str, object]:
        return {"state": str(self.guard.state), "denied": self.denied}
