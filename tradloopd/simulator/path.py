"""The documented intra-bar price path, and where on it a working order is touched.

A bar is walked as open -> nearer extreme -> other extreme -> close. When the open is equally far
from high and low, a bar that closes at or above its open goes down first (open -> low -> high ->
close), otherwise up first. In "worst" mode the path goes against the position held: low first
when long, high first when short (so a stop-loss is hit before a take-profit in the same bar).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from tradloopd.model import OrderType, Side

IntrabarMode = Literal["nearest", "worst"]


def bar_path(
    open_: float, high: float, low: float, close: float, *, mode: IntrabarMode, position_sign: int
) -> tuple[float, float, float, float]:
    """The four points the price visits inside one bar, in order."""
    if mode == "worst" and position_sign:
        low_first = position_sign > 0
    else:
        up, down = high - open_, open_ - low
        low_first = down < up or (down == up and close >= open_)
    return (open_, low, high, close) if low_first else (open_, high, low, close)


def touch(
    kind: OrderType, side: Side, price: Decimal | None, trigger: Decimal | None, triggered: bool,
    a: float | Decimal, b: float, *, through: bool,
) -> float | Decimal | None:
    """The first price on the move a -> b (a == b: the single point a) where the order acts.

    Returns `a` when the order is already marketable (or its stop already crossed) at `a`; the
    order's own price when the move reaches it; None when the move does not reach it. A limit
    "reached" means touched, or crossed strictly when `through` is set.
    """
    if kind is OrderType.MARKET:
        return a
    if kind is OrderType.STOP or (kind is OrderType.STOP_LIMIT and not triggered):
        assert trigger is not None
        return _stop_touch(side, trigger, a, b)
    assert price is not None
    return _limit_touch(side, price, a, b, through=through)


def _stop_touch(side: Side, trigger: Decimal, a: float | Decimal, b: float) -> float | Decimal | None:
    if side is Side.BUY:
        if a >= trigger:
            return a
        return trigger if b >= trigger else None
    if a <= trigger:
        return a
    return trigger if b <= trigger else None


def _limit_touch(
    side: Side, limit: Decimal, a: float | Decimal, b: float, *, through: bool
) -> float | Decimal | None:
    if side is Side.BUY:
        if a < limit or (a == limit and not through):
            return a
        return limit if (b < limit if through else b <= limit) else None
    if a > limit or (a == limit and not through):
        return a
    return limit if (b > limit if through else b >= limit) else None
