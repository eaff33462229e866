"""Fixed daemon data for the monitor's tests and snapshots: one node, two positions, orders, fills, an
equity curve with a drawdown, and log lines. Every time is fixed, so screenshots never change."""

from __future__ import annotations

import math
from decimal import Decimal

from tradloopd.model import Liquidity, OrderStatus, OrderType, Side, TimeInForce, TradingState
from tradloopd.protocol import (
    ActorRow,
    EquityPoint,
    FillRow,
    LogRecord,
    OrderRow,
    PositionRow,
    RiskLimitRow,
    StatusResult,
    StrategyRow,
    VenueRow,
)

T0 = 1_767_225_600_000_000_000  # 2026-01-01 00:00:00 UTC
SECOND = 1_000_000_000
NOW = T0 + 3_600 * SECOND  # the tests' clock: 01:00:00 UTC


def status(**changes: object) -> StatusResult:
    fields: dict[str, object] = dict(
        node_id="paper-1", version="0.1.0", mode="paper", trading_state=TradingState.ACTIVE,
        started_ts=T0, now_ts=NOW, cash=Decimal("70210.55"), equity=Decimal("100512.40"),
        peak_equity=Decimal("101020.00"), day_pnl=Decimal("-12.50"), total_pnl=Decimal("512.40"),
        exposure=Decimal("36301.85"), net_exposure=Decimal("24201.85"), open_orders=3,
        strategies=[
            StrategyRow(strategy_id="ma:BTC/USDT", symbol="BTC/USDT", name="ma_cross",
                        params={"fast": 10, "slow": 30, "qty": 0.5}, last_signal="long",
                        indicators={"fast": 60950.5, "slow": 60712.25}),
            StrategyRow(strategy_id="ma:ETH/USDT", symbol="ETH/USDT", name="ma_cross",
                        params={"fast": 10, "slow": 30, "qty": 2}, last_signal="short",
                        indicators={"fast": 3010.75, "slow": None}),
        ],
        venue=VenueRow(name="paper", connected=True, detail="simulated fills"),
        feed={"BTC/USDT 1m": NOW - 60 * SECOND, "ETH/USDT 1m": NOW - 60 * SECOND},
        actors=[ActorRow(name="feed", received=3600, sent=3600),
                ActorRow(name="venue", received=3702, sent=3650),
                ActorRow(name="risk", received=3710, sent=102, dropped=0, queue_depth=1),
                ActorRow(name="strategy", received=3650, sent=104),
                ActorRow(name="journal", received=420, sent=0, dropped=0, queue_depth=2)],
        risk_limits=[
            RiskLimitRow(name="max-order-notional", limit=Decimal("50000"), used=Decimal("0"),
                         detail="checked per order"),
            RiskLimitRow(name="max-position-notional", limit=Decimal("40000"), used=Decimal("30500"),
                         detail="BTC/USDT"),
            RiskLimitRow(name="max-open-orders", limit=Decimal("4"), used=Decimal("3")),
            RiskLimitRow(name="max-order-qty", limit=None, used=Decimal("0"), detail="checked per order"),
        ],
    )
    fields.update(changes)
    return StatusResult(**fields)  # type: ignore[arg-type]


POSITIONS = [
    PositionRow(symbol="BTC/USDT", quantity=Decimal("0.5"), avg_price=Decimal("60000.10"),
                last_price=Decimal("61000"), unrealized_pnl=Decimal("449.95"), realized_pnl=Decimal("0")),
    PositionRow(symbol="ETH/USDT", quantity=Decimal("-2"), avg_price=Decimal("3050"),
                last_price=Decimal("3025.50"), unrealized_pnl=Decimal("49"), realized_pnl=Decimal("-3.10")),
]


def order(order_id: str, *, symbol: str = "BTC/USDT", side: Side = Side.BUY,
          kind: OrderType = OrderType.LIMIT, quantity: str = "0.5", price: str | None = "59000",
          status: OrderStatus = OrderStatus.ACCEPTED, filled: str = "0", ts: int = 0,
          reason: str = "") -> OrderRow:
    return OrderRow(
        client_order_id=order_id, symbol=symbol, side=side, kind=kind, quantity=Decimal(quantity),
        filled_qty=Decimal(filled), price=Decimal(price) if price else None, tif=TimeInForce.GTC,
        status=status, reason=reason, strategy_id="ma:" + symbol, ts_created=T0 + ts * SECOND,
        ts_last=T0 + ts * SECOND)


ORDERS = [
    order("paper-1", kind=OrderType.MARKET, price=None, status=OrderStatus.FILLED, filled="0.5", ts=60),
    order("paper-2", ts=120),
    order("paper-3", symbol="ETH/USDT", side=Side.SELL, quantity="2", price="3100", ts=180),
    order("paper-4", symbol="ETH/USDT", side=Side.SELL, quantity="1", price="3200", ts=240,
          status=OrderStatus.PARTIALLY_FILLED, filled="0.25"),
    order("paper-5", quantity="9", price="61000", ts=300, status=OrderStatus.DENIED,
          reason="order notional 549000 above the maximum 50000"),
]


def fill(fill_id: str, order_id: str, *, symbol: str = "BTC/USDT", side: Side = Side.BUY,
         quantity: str = "0.5", price: str = "60000.10", fee: str = "30.00", ts: int = 0) -> FillRow:
    return FillRow(fill_id=fill_id, client_order_id=order_id, symbol=symbol, side=side,
                   quantity=Decimal(quantity), price=Decimal(price), fee=Decimal(fee),
                   liquidity=Liquidity.TAKER, strategy_id="ma:" + symbol, ts_event=T0 + ts * SECOND)


FILLS = [
    fill("f-1", "paper-1", ts=61),
    fill("f-2", "paper-6", symbol="ETH/USDT", side=Side.SELL, quantity="2", price="3050", fee="6.10", ts=200),
    fill("f-3", "paper-4", symbol="ETH/USDT", side=Side.SELL, quantity="0.25", price="3200", fee="0.80",
         ts=250),
]


def equity_points(count: int = 240) -> list[EquityPoint]:
    """A rise, a drawdown of about 1.5% and a partial recovery, one point every 15 s up to NOW."""
    points = []
    for i in range(count):
        value = 100_000 + 1_000 * math.sin(i / 40) + 3 * i - (600 if 120 < i < 170 else 0)
        points.append(EquityPoint(ts=NOW - 15 * (count - 1 - i) * SECOND, equity=Decimal(f"{value:.2f}"),
                                  cash=Decimal("70210.55")))
    return points


LOGS = [
    LogRecord(ts=T0 + 10 * SECOND, level="debug", event="bar_received", actor="feed",
              fields={"symbol": "BTC/USDT"}),
    LogRecord(ts=T0 + 60 * SECOND, level="info", event="order_submitted", actor="risk",
              fields={"client_order_id": "paper-1", "symbol": "BTC/USDT", "quantity": "0.5"}),
    LogRecord(ts=T0 + 300 * SECOND, level="warning", event="order_denied", actor="risk",
              fields={"client_order_id": "paper-5",
                      "reason": "order notional 549000 above the maximum 50000"}),
    LogRecord(ts=T0 + 400 * SECOND, level="error", event="feed_disconnected", actor="feed",
              fields={"exchange": "binance", "retry_s": 0.5}),
]
