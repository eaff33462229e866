"""The node's side of the control protocol: answers queries, turns commands into risk requests,
and publishes what happens to subscribers.

Queries read the risk guard's account (current, in memory) and the journal's equity table (a
read-only sqlite connection in a worker thread). Commands go to the risk guard as
`ControlRequest`s, so halts, flattens, cancels and manual orders take the same path and checks as a
strategy's. Updates reach subscribers through the lossy broadcaster: a slow monitor never slows
trading.
"""

from __future__ import annotations

import math
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from tradloopd import __version__
from tradloopd.broadcast import Broadcaster, BroadcastSubscription
from tradloopd.messages import CancelAll, CancelOrder, Flatten, OrderFilled, SubmitOrder
from tradloopd.messages import Halt as HaltCommand
from tradloopd.messages import Resume as ResumeCommand
from tradloopd.model import ZERO, TradingState, to_decimal
from tradloopd.protocol import (
    ActorRow,
    Cancel,
    CancelResult,
    Command,
    CommandResult,
    ControlDenied,
    Equity,
    EquityResult,
    Fills,
    FillsResult,
    FlattenResult,
    Halt,
    HaltResult,
    Orders,
    OrdersResult,
    PositionRow,
    Positions,
    PositionsResult,
    Query,
    QueryResult,
    Resume,
    ResumeResult,
    RiskLimitRow,
    Status,
    StatusResult,
    StrategyRow,
    Submit,
    SubmitResult,
    VenueRow,
    fill_row,
    order_row,
)
from tradloopd.protocol import EquityPoint as EquityRow
from tradloopd.protocol import (
    Flatten as FlattenRequest,
)
from tradloopd.store.journal import EquityPoint, JournalMessage, connect

if TYPE_CHECKING:
    from tradloopd.node import Node


class NodeControl:
    """The `ControlBackend` of a running node."""

    def __init__(self, node: Node, broadcaster: Broadcaster, *, mode: str = "paper") -> None:
        self.node = node
        self.node_id = node.settings.node_id
        self.broadcaster = broadcaster
        self.mode = mode
        self.started_ns = time.time_ns()
        self._journal_path: Path = node.settings.state_dir / "journal.sqlite"

    # Queries ------------------------------------------------------------------------------------

    async def query(self, request: Query) -> QueryResult:
        match request:
            case Status():
                return self.status()
            case Positions():
                return PositionsResult(positions=self.positions())
            case Orders():
                return self._orders(request)
            case Fills():
                return self._fills(request)
            case Equity():
                return EquityResult(points=await self._equity(request))
        raise ControlDenied("bad_request", f"not a query: {type(request).__name__}")

    def status(self) -> StatusResult:
        wiring = self.node.wiring
        risk = wiring.risk
        portfolio = risk.account.portfolio
        positions = self.positions()
        equity = portfolio.cash + sum((p.quantity * (p.last_price or ZERO) for p in positions), ZERO)
        gross = sum((abs(p.quantity) * (p.last_price or ZERO) for p in positions), ZERO)
        net = sum((p.quantity * (p.last_price or ZERO) for p in positions), ZERO)
        return StatusResult(
            node_id=self.node_id, version=__version__, mode=self.mode,  # type: ignore[arg-type]
            trading_state=risk.guard.state, state_reason=risk.guard.state_reason,
            started_ts=self.started_ns, now_ts=time.time_ns(), cash=portfolio.cash, equity=equity,
            peak_equity=max(equity, risk.peak_equity), day_pnl=equity - risk.day_start_equity(equity),
            total_pnl=equity - portfolio.initial_cash, exposure=gross, net_exposure=net,
            open_orders=len(risk.account.orders.open_orders()), strategies=self._strategies(),
            venue=VenueRow(name=wiring.venue.name, connected=wiring.venue.connected),
            feed={symbol: ts for symbol, ts in wiring.strategy.last_bar_ts.items()},
            actors=self._actors(), risk_limits=self._limits(equity),
        )

    def positions(self) -> list[PositionRow]:
        risk = self.node.wiring.risk
        rows = []
        for symbol, position in sorted(risk.account.portfolio.positions.items()):
            if not position.qty and not position.realized_pnl:
                continue
            last = risk.marks.get(symbol)
            mark = None if last is None else to_decimal(last)
            rows.append(PositionRow(
                symbol=symbol, quantity=position.qty, avg_price=position.avg_price, last_price=mark,
                unrealized_pnl=position.unrealized_pnl(mark) if mark is not None else ZERO,
                realized_pnl=position.realized_pnl))
        return rows

    def _orders(self, request: Orders) -> OrdersResult:
        ledger = self.node.wiring.risk.account.orders
        chosen = ledger.open_orders() if request.status == "open" else list(ledger)
        chosen = [t for t in chosen if request.symbol in (None, t.order.symbol)]
        return OrdersResult(orders=[order_row(t) for t in chosen[-request.limit:]])

    def _fills(self, request: Fills) -> FillsResult:
        account = self.node.wiring.risk.account
        fills = [f for f in account.fills if request.symbol in (None, f.symbol)
                 and (request.since_ts is None or f.ts_event >= request.since_ts)]
        rows = [fill_row(f, strategy_id=self._strategy_of(f)) for f in fills[-request.limit:]]
        return FillsResult(fills=rows)

    async def _equity(self, request: Equity) -> list[EquityRow]:
        def read() -> list[tuple[int, float, float]]:
            db = connect(self._journal_path, readonly=True)
            try:
                rows = db.execute("SELECT ts, equity, cash FROM equity WHERE ts >= ? ORDER BY ts DESC "
                                  "LIMIT ?", (request.since_ts or 0, request.limit)).fetchall()
            finally:
                db.close()
            return rows[::-1]

        rows = await trio.to_thread.run_sync(read)
        return [EquityRow(ts=ts, equity=_money(eq), cash=_money(cash)) for ts, eq, cash in rows]

    # Commands -----------------------------------------------------------------------------------

    async def command(self, request: Command) -> CommandResult:
        from tradloopd.node import control_request

        wiring = self.node.wiring
        now = time.time_ns()
        match request:
            case Halt(reason=reason):
                before = wiring.risk.guard.state
                await control_request(wiring, HaltCommand(reason=reason, ts_event=now))
                return self._state_result(HaltResult, before)
            case Resume():
                before = wiring.risk.guard.state
                await control_request(wiring, ResumeCommand(ts_event=now))
                return self._state_result(ResumeResult, before)
            case FlattenRequest(symbol=symbol):
                open_before = [t.client_order_id for t in wiring.risk.account.orders.open_orders(symbol)]
                sent = await control_request(wiring, Flatten(symbol=symbol, ts_event=now))
                assert isinstance(sent, list)
                return FlattenResult(canceled=open_before, submitted=sent)
            case Cancel():
                return await self._cancel(request, now)
            case Submit():
                return await self._submit(request, now)
        raise ControlDenied("bad_request", f"not a command: {type(request).__name__}")

    def _state_result(self, kind: type, before: TradingState) -> Any:
        guard = self.node.wiring.risk.guard
        return kind(trading_state=guard.state, state_reason=guard.state_reason,
                    changed=guard.state != before)

    async def _cancel(self, request: Cancel, now: int) -> CancelResult:
        from tradloopd.node import control_request

        wiring = self.node.wiring
        if request.all:
            canceled = await control_request(wiring, CancelAll(symbol=request.symbol, ts_event=now))
            assert isinstance(canceled, list)
            return CancelResult(client_order_ids=canceled)
        assert request.client_order_id is not None
        tracked = wiring.risk.account.orders.get(request.client_order_id)
        if tracked is None or tracked.status.is_terminal:
            state = "unknown" if tracked is None else str(tracked.status)
            raise ControlDenied("not_found", f"order {request.client_order_id} is not open ({state})")
        command = CancelOrder(client_order_id=tracked.client_order_id, symbol=tracked.order.symbol,
                              ts_event=now, reason="canceled by operator")
        await control_request(wiring, command)
        return CancelResult(client_order_ids=[tracked.client_order_id])

    async def _submit(self, request: Submit, now: int) -> SubmitResult:
        from tradloopd.node import control_request

        wiring = self.node.wiring
        instruments = self.node.settings.instruments
        if request.symbol not in instruments:
            known = ", ".join(sorted(instruments))
            raise ControlDenied("bad_request", f"unknown symbol {request.symbol!r}; trading {known}")
        order = request.to_order(wiring.risk.manual_ids.next(), strategy_id="operator", ts_init=now)
        reason = await control_request(wiring, SubmitOrder(order=order, ts_event=now))
        return SubmitResult(client_order_id=order.client_order_id, accepted_by_risk=reason is None,
                            reason=reason or "")  # type: ignore[arg-type]

    # Subscriptions ------------------------------------------------------------------------------

    def subscribe(self, topics: frozenset[str], *, buffer: int) -> BroadcastSubscription:
        return self.broadcaster.subscribe(topics, buffer=buffer)

    def publish_journaled(self, messages: list[JournalMessage], equity: list[EquityPoint]) -> None:
        """Called by the journal actor after each commit: orders, fills, positions, equity."""
        journal_account = self.node.wiring.journal.account
        publish = self.broadcaster.publish_nowait
        for message in messages:
            coid = message.order.client_order_id if isinstance(message, SubmitOrder) \
                else getattr(message, "client_order_id", None)
            tracked = journal_account.orders.get(coid) if coid else None
            if tracked is not None:
                publish("orders", order_row(tracked))
            if isinstance(message, OrderFilled):
                publish("fills", fill_row(message, strategy_id=self._strategy_of(message)))
                for row in self.positions():
                    if row.symbol == message.symbol:
                        publish("positions", row)
        for point in equity:
            publish("equity", EquityRow(ts=point.ts, equity=_money(point.equity), cash=_money(point.cash)))

    async def publish_status_every(self, interval_s: float = 1.0, *,
                                   task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Publish the status on the `status` topic every `interval_s` (monitors' live header)."""
        task_status.started()
        while True:
            self.broadcaster.publish_nowait("status", self.status())
            await trio.sleep(interval_s)

    def _strategy_of(self, fill: OrderFilled) -> str:
        tracked = self.node.wiring.risk.account.orders.get(fill.client_order_id)
        return tracked.order.strategy_id if tracked else ""

    # Status parts -------------------------------------------------------------------------------

    def _strategies(self) -> list[StrategyRow]:
        import msgspec

        rows = []
        for runner in self.node.wiring.strategy.runners:
            ctx = runner.ctx
            params = msgspec.to_builtins(ctx.params) if ctx.params is not None else {}
            latest = {name: (values[-1] if values else None) for name, values in runner.values.items()}
            rows.append(StrategyRow(
                strategy_id=ctx.strategy_id, symbol=ctx.symbol, name=ctx.strategy_id.split(":")[0],
                params={k: v for k, v in params.items() if isinstance(v, str | int | float | bool)
                        or v is None},
                last_signal=runner.last_signal if runner.enabled else "disabled",
                indicators={k: (None if v is None or math.isnan(v) else float(v))
                            for k, v in latest.items()}))
        return rows

    def _actors(self) -> list[ActorRow]:
        stats = self.node.statistics()
        return [ActorRow(name=name, received=int(row.get("received", row.get("written", 0))),
                         sent=int(row.get("sent", row.get("events", 0))),
                         queue_depth=int(row.get("queued", row.get("pending", 0))))
                for name, row in stats.items()]

    def _limits(self, equity: Decimal) -> list[RiskLimitRow]:
        risk = self.node.wiring.risk
        limits = risk.guard.limits
        in_flight = sum(1 for t in risk.account.orders.open_orders() if str(t.status) == "submitted")
        max_open = limits.max_open_orders
        rows = [RiskLimitRow(name="max-in-flight", limit=Decimal(limits.max_in_flight),
                             used=Decimal(in_flight)),
                RiskLimitRow(name="max-open-orders", limit=None if max_open is None else Decimal(max_open),
                             used=Decimal(len(risk.account.orders.open_orders())))]
        for name in ("max_order_qty", "max_order_notional", "max_position_qty", "max_position_notional",
                     "price_band_pct"):
            value = getattr(limits, name)
            rows.append(RiskLimitRow(name=name.replace("_", "-"), limit=value, used=ZERO,
                                     detail="checked per order"))
        return rows


def _money(value: float) -> Decimal:
    """An equity mark (computed in floats) as a decimal without float noise: 8 decimals."""
    return Decimal(repr(round(value, 8)))
