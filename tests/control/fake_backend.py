"""A small in-memory node behind the control server: positions, orders, fills, equity, a trading state,
a risk rule for manual orders, and a real lossy broadcaster for subscriptions."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import trio

from tradloopd.broadcast import Broadcaster, BroadcastSubscription
from tradloopd.model import Liquidity, OrderStatus, OrderType, Side, TradingState
from tradloopd.protocol import (
    ActorRow,
    Cancel,
    CancelResult,
    Command,
    CommandResult,
    ControlDenied,
    Equity,
    EquityPoint,
    EquityResult,
    FillRow,
    Fills,
    FillsResult,
    Flatten,
    FlattenResult,
    Halt,
    HaltResult,
    OrderRow,
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
)

T0 = 1_767_225_600_000_000_000  # 2026-01-01 00:00:00 UTC
MAX_MANUAL_QTY = Decimal(10)


class FakeBackend:
    """Answers from in-memory state; `fail_with` makes the next request raise, `gate` holds it."""

    node_id = "test-node"

    def __init__(self) -> None:
        self.broadcaster = Broadcaster()
        self.trading_state = TradingState.ACTIVE
        self.state_reason = ""
        self.positions = {"BTC/USDT": PositionRow(
            symbol="BTC/USDT", quantity=Decimal("0.5"), avg_price=Decimal("60000.10"),
            last_price=Decimal("61000"), unrealized_pnl=Decimal("449.95"), realized_pnl=Decimal(0))}
        self.orders = {o.client_order_id: o for o in (
            _order("n1-1", "BTC/USDT", OrderStatus.FILLED, filled="0.5", ts=T0),
            _order("n1-2", "BTC/USDT", OrderStatus.ACCEPTED, ts=T0 + 1, price="59000"),
            _order("n1-3", "ETH/USDT", OrderStatus.ACCEPTED, ts=T0 + 2, price="2000"),
        )}
        self.fills = [FillRow(fill_id="f1", client_order_id="n1-1", symbol="BTC/USDT", side=Side.BUY,
                              quantity=Decimal("0.5"), price=Decimal("60000.10"), fee=Decimal("0.03"),
                              liquidity=Liquidity.TAKER, strategy_id="ma", ts_event=T0 + 5)]
        self.equity = [EquityPoint(ts=T0 + i, equity=Decimal(100_000 + i), cash=Decimal(70_000))
                       for i in range(5)]
        self.requests: list[msgspec.Struct] = []
        self.fail_with: Exception | None = None
        self.gate: trio.Event | None = None
        self._next_order = 100

    def snapshot(self) -> bytes:
        """Everything a request could change, to compare before and after."""
        return msgspec.json.encode([self.trading_state, self.state_reason, self.positions,
                                    self.orders, self.fills, self._next_order])

    def subscribe(self, topics: frozenset[str], *, buffer: int) -> BroadcastSubscription:
        return self.broadcaster.subscribe(topics, buffer=buffer)

    async def _enter(self, request: msgspec.Struct) -> None:
        self.requests.append(request)
        if self.gate is not None:
            await self.gate.wait()
        await trio.lowlevel.checkpoint()
        if self.fail_with is not None:
            error, self.fail_with = self.fail_with, None
            raise error

    async def query(self, request: Query) -> QueryResult:
        await self._enter(request)
        match request:
            case Status():
                return self.status()
            case Positions():
                return PositionsResult(positions=list(self.positions.values()))
            case Orders():
                rows = [o for o in self.orders.values() if request.symbol in (None, o.symbol)
                        and (request.status == "all" or not o.status.is_terminal)]
                return OrdersResult(orders=rows[-request.limit:])
            case Fills():
                rows = [f for f in self.fills if request.symbol in (None, f.symbol)
                        and f.ts_event >= (request.since_ts or 0)]
                return FillsResult(fills=rows[-request.limit:])
            case Equity():
                points = [p for p in self.equity if p.ts >= (request.since_ts or 0)]
                return EquityResult(points=points[-request.limit:])

    async def command(self, request: Command) -> CommandResult:
        await self._enter(request)
        match request:
            case Halt():
                changed = self.trading_state is not TradingState.HALTED
                self.trading_state, self.state_reason = TradingState.HALTED, request.reason
                return HaltResult(trading_state=self.trading_state, state_reason=request.reason,
                                  changed=changed)
            case Resume():
                changed = self.trading_state is not TradingState.ACTIVE
                self.trading_state, self.state_reason = TradingState.ACTIVE, ""
                return ResumeResult(trading_state=self.trading_state, state_reason="", changed=changed)
            case Cancel():
                return CancelResult(client_order_ids=self._cancel(request))
            case Flatten():
                return self._flatten(request.symbol)
            case Submit():
                return self._submit(request)

    def status(self) -> StatusResult:
        return StatusResult(
            node_id=self.node_id, version="0.1.0", mode="paper", trading_state=self.trading_state,
            state_reason=self.state_reason, started_ts=T0, now_ts=T0 + 60_000_000_000,
            cash=Decimal("70000.00"), equity=Decimal("100500.50"), peak_equity=Decimal("101000"),
            day_pnl=Decimal("-12.5"), total_pnl=Decimal("500.50"), exposure=Decimal("30500"),
            net_exposure=Decimal("30500"),
            open_orders=sum(not o.status.is_terminal for o in self.orders.values()),
            strategies=[StrategyRow(strategy_id="ma", symbol="BTC/USDT", name="ma_cross",
                                    params={"fast": 10, "slow": 30}, last_signal="long",
                                    indicators={"sma_fast": 60950.5, "sma_slow": None})],
            venue=VenueRow(name="paper", connected=True, detail="simulated fills"),
            feed={"BTC/USDT 1m": T0 + 59_000_000_000},
            actors=[ActorRow(name="feed", received=60, sent=60), ActorRow(name="risk", received=3, sent=2)],
            risk_limits=[RiskLimitRow(name="max_order_qty", limit=MAX_MANUAL_QTY, used=Decimal(0))],
        )

    def _cancel(self, request: Cancel) -> list[str]:
        if request.client_order_id is not None:
            order = self.orders.get(request.client_order_id)
            if order is None or order.status.is_terminal:
                raise ControlDenied("not_found", f"no working order {request.client_order_id}")
            targets = [order]
        else:
            targets = [o for o in self.orders.values() if not o.status.is_terminal
                       and request.symbol in (None, o.symbol)]
        for order in targets:
            self._set_order(msgspec.structs.replace(order, status=OrderStatus.CANCELED, reason="manual"))
        return [o.client_order_id for o in targets]

    def _flatten(self, symbol: str | None) -> FlattenResult:
        canceled = self._cancel(Cancel(all=True, symbol=symbol))
        submitted = []
        for position in [p for p in self.positions.values() if symbol in (None, p.symbol)]:
            side = Side.SELL if position.quantity > 0 else Side.BUY
            submitted.append(self._new_order(position.symbol, side, abs(position.quantity)).client_order_id)
            del self.positions[position.symbol]
        return FlattenResult(canceled=canceled, submitted=submitted)

    def _submit(self, request: Submit) -> SubmitResult:
        reason = ""
        if self.trading_state is TradingState.HALTED:
            reason = "trading is halted"
        elif (request.quantity or Decimal(0)) > MAX_MANUAL_QTY:
            reason = f"quantity above the maximum {MAX_MANUAL_QTY}"
        order = self._new_order(request.symbol, request.side, request.quantity,
                                status=OrderStatus.DENIED if reason else OrderStatus.SUBMITTED, reason=reason)
        return SubmitResult(client_order_id=order.client_order_id, accepted_by_risk=not reason, reason=reason)

    def _new_order(self, symbol: str, side: Side, quantity: Decimal | None,
                   status: OrderStatus = OrderStatus.SUBMITTED, reason: str = "") -> OrderRow:
        self._next_order += 1
        order = _order(f"manual-{self._next_order}", symbol, status, side=side, quantity=quantity,
                       reason=reason, ts=T0 + self._next_order)
        self._set_order(order)
        return order

    def _set_order(self, order: OrderRow) -> None:
        self.orders[order.client_order_id] = order
        self.broadcaster.publish_nowait("orders", order)


def _order(client_order_id: str, symbol: str, status: OrderStatus, *, ts: int, filled: str = "0",
           price: str | None = None, side: Side = Side.BUY, quantity: Decimal | None = Decimal("0.5"),
           reason: str = "") -> OrderRow:
    return OrderRow(
        client_order_id=client_order_id, symbol=symbol, side=side,
        kind=OrderType.LIMIT if price else OrderType.MARKET, quantity=quantity, filled_qty=Decimal(filled),
        price=Decimal(price) if price else None, status=status, reason=reason, strategy_id="ma",
        ts_created=ts, ts_last=ts)
