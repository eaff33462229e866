"""The documented intra-bar price path, and where on it a working order is touched.

A bar is walked as open -> nearer extreme -> other extreme -> close. When the open is equally far
from high and low, a bar that closes at or above its open goes down first (open -> low -> high ->
close), otherwise up first. In "worst" mode the path goes against the position held: low first
when long, high first when short (so a stop-loss is hit before a take-profit in the same bar).

Prices are compared exactly: the matcher passes the bar's points as Decimals (the shortest text of
each float, as `to_decimal` gives), so a float high of 100.3 equals an order price of 100.3.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, TypeVar

from tradloopd.model import OrderType, Side, to_decimal

IntrabarMode = Literal["nearest", "worst"]
Price = TypeVar("Price", float, Decimal)


def bar_path(
    open_: Price, high: Price, low: Price, close: Price, *, mode: IntrabarMode, position_sign: int
) -> tuple[Price, Price, Price, Price]:
    """The four points the price visits inside one bar, in order (the tie judged exactly)."""
    if mode == "worst" and position_sign:
        low_first = position_sign > 0
    else:
        o = to_decimal(open_)  # float differences are inexact: 100.3 - 100.2 != 100.2 - 100.1
        up, down = to_decimal(high) - o, o - to_decimal(low)
        low_first = down < up or (down == up and close >= open_)
    return (open_, low, high, close) if low_first else (open_, high, low, close)


def touch(
    kind: OrderType, side: Side, price: Decimal | None, trigger: Decimal | None, trigger_side: Side,
    triggered: bool, a: Decimal, b: Decimal, *, through: bool,
) -> Decimal | None:
    """The first price on the move a -> b (a == b: the single point a) where the order acts.

    Returns `a` when the order is already marketable (or its stop already crossed) at `a`; the
    order's own price when the move reaches it; None when the move does not reach it. A limit
    "reached" means touched, or crossed strictly when `through` is set. A triggered stop is a
    market order: what it did not fill when triggered fills wherever the price is. The trigger is
    reached as a stop of `trigger_side` is (the other side for if-touched orders); an order without
    a trigger yet (a trailing stop waiting for its activation price) is not reached.
    """
    if kind is OrderType.MARKET or (kind is OrderType.STOP and triggered):
        return a
    if kind is OrderType.STOP or (kind is OrderType.STOP_LIMIT and not triggered):
        return None if trigger is None else _stop_touch(trigger_side, trigger, a, b)
    assert price is not None
    return _limit_touch(side, price, a, b, through=through)


def _stop_touch(side: Side, trigger: Decimal, a: Decimal, b: Decimal) -> Decimal | None:
    if side is Side.BUY:
        if a >= trigger:
            return a
        return trigger if b >= trigger else None
    if a <= trigger:
        return a
    return trigger if b <= trigger else None


def _limit_touch(
    side: Side, limit: Decimal, a: Decimal, b: Decimal, *, through: bool
) -> Decimal | None:
    if side is Side.BUY:
        if a < limit or (a == limit and not through):
            return a
        return limit if (b < limit if through else b <= limit) else None
    if a > limit or (a == limit and not through):
        return a
    return limit if (b > limit if through else b >= limit) else None
