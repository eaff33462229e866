"""The trading side's account: the order ledger and the portfolio its fills build.

Rebuilt identically from the event journal, so what strategies and the risk guard see after a
restart equals what they saw before it.
"""

from __future__ import annotations

from decimal import Decimal

from tradloopd.messages import Order, OrderDenied, OrderEvent, OrderFilled
from tradloopd.model import ZERO, Side
from tradloopd.orders.ledger import OrderLedger
from tradloopd.orders.state import TrackedOrder
from tradloopd.positions import Portfolio, Trade


class Account:
    """Orders and portfolio, changed only by `add_order`, `mark_submitted` and `apply`."""

    def __init__(self, cash: Decimal) -> None:
        self.orders = OrderLedger()
        self.portfolio = Portfolio(cash)
        self.trades: list[Trade] = []
        self.fills: list[OrderFilled] = []

    def add_order(self, order: Order) -> TrackedOrder:
        return self.orders.add(order)

    def mark_submitted(self, client_order_id: str, ts_event: int) -> None:
        self.orders.mark_submitted(client_order_id, ts_event)

    def apply(self, event: OrderEvent) -> list[Trade]:
        """Apply one event; returns the round trips a fill closed."""
        self.orders.apply(event)
        if not isinstance(event, OrderFilled):
            return []
        self.fills.append(event)
        trades = self.portfolio.apply(event)
        self.trades.extend(trades)
        return trades

    def deny(self, order: Order, reason: str, ts_event: int) -> OrderDenied:
        """Record an order the risk guard refused, and return the event saying so."""
        self.orders.add(order)
        denied = OrderDenied(client_order_id=order.client_order_id, reason=reason, ts_event=ts_event)
        self.orders.apply(denied)
        return denied

    def position(self, symbol: str) -> Decimal:
        return self.portfolio.qty(symbol)

    def working_qty(self, symbol: str, side: Side) -> Decimal:
        """Quantity still to fill on open orders of one side (notional orders count as unknown: 0)."""
        total = ZERO
        for tracked in self.orders.open_orders(symbol):
            if tracked.order.side is side and tracked.leaves_qty is not None:
                total += tracked.leaves_qty
        return total
