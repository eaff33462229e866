"""The pre-trade risk guard: every order intent is checked here, and each denial says why.

Behaves identically in replay, paper and live: it sees the order, the account, and the last price
of the order's symbol, nothing else. An order that can never be valid (`order_problem`) is denied
with that reason before any limit is looked at. Trading states: ACTIVE (all checks), REDUCING (only orders
that shrink a position), HALTED (no new orders; cancels always pass).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradloopd.account import Account
from tradloopd.messages import Order
from tradloopd.model import ZERO, OrderStatus, OrderType, Side, TradingState, plain, to_decimal
from tradloopd.orders.state import order_problem


class RiskLimits(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                 rename="kebab"):
    """Pre-trade limits; an unset limit is not checked. Notionals are in the quote currency."""

    max_order_qty: Decimal | None = None
    max_order_notional: Decimal | None = None
    max_position_qty: Decimal | None = None
    max_position_notional: Decimal | None = None
    max_open_orders: int | None = None
    price_band_pct: Decimal | None = None
    max_in_flight: int = 64  # orders sent to the venue and not yet acknowledged (caps the loop)

    def restricts(self) -> bool:
        """True if any limit beyond the always-on in-flight cap is set."""
        return any(getattr(self, f) is not None for f in self.__struct_fields__ if f != "max_in_flight")


class RiskGuard:
    """Checks order intents against the limits and the trading state."""

    def __init__(self, limits: RiskLimits) -> None:
        self.limits = limits
        self.state = TradingState.ACTIVE
        self.state_reason = ""
        self._limited = limits.restricts()

    def halt(self, reason: str) -> None:
        self.state, self.state_reason = TradingState.HALTED, reason

    def reduce_only(self, reason: str) -> None:
        self.state, self.state_reason = TradingState.REDUCING, reason

    def resume(self) -> None:
        self.state, self.state_reason = TradingState.ACTIVE, ""

    def check(self, order: Order, account: Account, last_price: float | None) -> str | None:
        """None if the order may go to the venue, else the reason it is denied."""
        if self.state is TradingState.HALTED:
            return f"trading is halted: {self.state_reason}" if self.state_reason else "trading is halted"
        problem = order_problem(order)  # an order no venue could accept never leaves the node
        if problem is not None:
            return problem
        if not self._limited and self.state is TradingState.ACTIVE:
            return self._in_flight_problem(account)  # the only check that is always on
        position = account.position(order.symbol)
        reduces = _reduces(order, position, account)
        if self.state is TradingState.REDUCING and not reduces:
            return "trading is reducing-only: the order would not reduce a position"
        price = _reference_price(order, last_price)
        qty = _quantity(order, price)
        return (
            self._order_size_problem(order, qty, price)
            or self._price_band_problem(order, last_price)
            or (None if reduces else self._position_problem(order, account, position, qty, price))
            or self._open_orders_problem(account)
            or self._in_flight_problem(account)
        )

    def _order_size_problem(self, order: Order, qty: Decimal | None,
                            price: Decimal | None) -> str | None:
        limits = self.limits
        if limits.max_order_qty is not None and qty is not None and qty > limits.max_order_qty:
            shown = _amount(qty) if order.quantity is not None else f"about {_amount(qty)}"
            return f"order quantity {shown} exceeds max-order-qty {limits.max_order_qty}"
        notional = order.notional
        if notional is None and qty is not None and price is not None:
            notional = qty * price
        if limits.max_order_notional is not None and notional is not None \
                and notional > limits.max_order_notional:
            return f"order notional {notional:.2f} exceeds max-order-notional {limits.max_order_notional}"
        return None

    def _price_band_problem(self, order: Order, last_price: float | None) -> str | None:
        band = self.limits.price_band_pct
        if band is None or last_price is None:
            return None
        last = to_decimal(last_price)
        for name in ("price", "trigger_price"):
            value = getattr(order, name)
            if value is not None and abs(value - last) > last * band / 100:
                return f"{name} {value} is more than {band}% away from the last price {last}"
        return None

    def _position_problem(self, order: Order, account: Account, position: Decimal,
                          qty: Decimal | None, price: Decimal | None) -> str | None:
        limits = self.limits
        if qty is None:  # a notional order before any price is known: only its amount is
            if limits.max_position_notional is None or order.notional is None:
                return None
            return _over("position notional", order.notional, limits.max_position_notional)
        pending = _growing_qty(account, order.symbol, order.side)
        worst = abs(position + (pending + qty) * order.side.sign)
        if limits.max_position_qty is not None and worst > limits.max_position_qty:
            return _over("position quantity", worst, limits.max_position_qty)
        if limits.max_position_notional is not None and price is not None:
            return _over("position notional", worst * price, limits.max_position_notional)
        return None

    def _open_orders_problem(self, account: Account) -> str | None:
        limit = self.limits.max_open_orders
        if limit is not None and len(account.orders.open_orders()) >= limit:
            return f"{limit} orders are already open (max-open-orders)"
        return None

    def _in_flight_problem(self, account: Account) -> str | None:
        cap = self.limits.max_in_flight
        in_flight = sum(1 for t in account.orders.open_orders() if t.status is OrderStatus.SUBMITTED)
        if in_flight >= cap:
            return f"{in_flight} orders are in flight to the venue, the most allowed (max-in-flight)"
        return None


def _over(what: str, value: Decimal, limit: Decimal) -> str | None:
    if value > limit:
        return f"{what} would reach {_amount(value)}, above the limit {limit}"
    return None


def _amount(value: Decimal) -> str:
    """An amount for a reason: exact without trailing zeros (2.0 -> 2), or to 8 significant
    digits when it has more than 8 decimals (a notional order's estimated quantity)."""
    exponent = value.normalize().as_tuple().exponent
    return plain(value) if isinstance(exponent, int) and exponent >= -8 else f"{value:.8g}"


def _quantity(order: Order, price: Decimal | None) -> Decimal | None:
    """The order's quantity; a notional order's estimated at the reference price (no fee, no lot
    rounding: an upper bound), or None before any price is known."""
    if order.quantity is not None:
        return order.quantity
    if order.notional is None or not price:
        return None
    return order.notional / price


def _reference_price(order: Order, last_price: float | None) -> Decimal | None:
    if order.kind in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        return order.price
    if order.kind is OrderType.STOP:
        return order.trigger_price
    return None if last_price is None else to_decimal(last_price)


def _reduces(order: Order, position: Decimal, account: Account) -> bool:
    """True if filling the order entirely cannot grow the position or flip it."""
    if not position or (position > 0) == (order.side is Side.BUY) or order.quantity is None:
        return False
    already = _growing_qty(account, order.symbol, order.side)
    return already + order.quantity <= abs(position)


def _growing_qty(account: Account, symbol: str, side: Side) -> Decimal:
    """Quantity left on the open orders of one side that could grow a position. Reduce-only
    orders (a bracket's exit legs) can only shrink it; a notional order's size is unknown (0)."""
    total = ZERO
    for tracked in account.orders.open_orders(symbol):
        leaves = tracked.leaves_qty
        if tracked.order.side is side and not tracked.order.reduce_only and leaves is not None:
            total += leaves
    return total
