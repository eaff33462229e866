"""What makes an order of the catalogue's extra terms valid: trailing, if-touched, contingent groups
and algorithms (docs/orders.md). `order_problem` calls this for any order that uses one of them, so
the risk guard, the venue, the emulator and the control protocol all refuse the same orders.
"""

from __future__ import annotations

from decimal import Decimal
from typing import assert_never

from tradloopd.messages import (
    AtrTrail,
    BreakEven,
    Iceberg,
    Order,
    Pov,
    ProfitTarget,
    Scale,
    TimedExit,
    Trail,
    Twap,
    Vwap,
)
from tradloopd.model import ZERO, OrderType, TimeInForce

_STOPS = frozenset({OrderType.STOP, OrderType.STOP_LIMIT})
_HUNDRED = Decimal(100)
_ONE = Decimal(1)


def catalogue_problem(order: Order) -> str | None:
    """Why the order's catalogue terms can never work, or None."""
    if order.trail is not None:
        problem = _trail_problem(order, order.trail)
        if problem is not None:
            return problem
    if order.if_touched and order.kind not in _STOPS:
        return "if-touched applies to stop and stop-limit orders only (market- and limit-if-touched)"
    problem = _group_problem(order)
    if problem is not None or order.algo is None:
        return problem
    return _algo_problem(order)


def _trail_problem(order: Order, trail: Trail) -> str | None:
    if order.kind not in _STOPS:
        return "a trail applies to stop and stop-limit orders only"
    if order.if_touched:
        return "a trailing order cannot also be if-touched"
    if (trail.amount is None) == (trail.percent is None):
        return "a trail needs exactly one of amount and percent"
    for name, value in (("amount", trail.amount), ("percent", trail.percent),
                        ("activation", trail.activation)):
        if value is not None and value <= ZERO:
            return f"trail {name} must be positive, got {value}"
    if trail.percent is not None and trail.percent >= _HUNDRED:
        return f"trail percent must be below 100, got {trail.percent}"
    if order.kind is OrderType.STOP_LIMIT and order.trigger_price is None:
        return "a trailing stop-limit needs a trigger price: the limit keeps its distance to it"
    return None


def _group_problem(order: Order) -> str | None:
    grouped = order.oca_group is not None or order.oto_parent is not None or order.combo is not None
    if not grouped:
        return None
    if order.algo is not None:
        return "an algorithm order cannot be part of an OCA, OTO or multi-leg group"
    if order.oca_group is not None and not order.oca_group:
        return "oca_group must name the group"
    if order.oto_parent is not None and order.oto_parent in ("", order.client_order_id):
        return "oto_parent must name another order"
    combo = order.combo
    if combo is None:
        return None
    if order.oca_group is not None or order.oto_parent is not None:
        return "a multi-leg order cannot also be in an OCA group or wait for an OTO parent"
    if not combo.group or combo.legs < 2:
        return f"a multi-leg group needs a name and at least 2 legs, got {combo.legs}"
    if order.tif not in (TimeInForce.IOC, TimeInForce.FOK):
        return "multi-leg orders are IOC or FOK: all legs fill at once, or the group is unwound"
    return None


def _algo_problem(order: Order) -> str | None:
    if order.quantity is None:
        return "an algorithm order needs a quantity"
    if order.stop_loss is not None or order.take_profit is not None:
        return "an algorithm order takes no attached stop-loss or take-profit"
    if order.trail is not None or order.if_touched:
        return "an algorithm order cannot also be trailing or if-touched"
    if order.tif in (TimeInForce.IOC, TimeInForce.FOK):
        return f"an algorithm order works over time: {order.tif.upper()} does not apply"
    algo = order.algo
    match algo:
        case Twap() | Vwap():
            return _schedule_problem(order, algo)
        case Iceberg(display_qty=display):
            if order.kind is not OrderType.LIMIT:
                return "an iceberg is a limit order"
            return _positive("display_qty", display) or (
                f"display_qty {display} exceeds the quantity {order.quantity}"
                if display > order.quantity else None)
        case Pov(participation=share):
            return _kind_in(order, "a POV order", OrderType.MARKET, OrderType.LIMIT) or _share(
                "participation", share)
        case AtrTrail(multiple=multiple, period=period):
            return (_kind_in(order, "an ATR trailing stop", OrderType.STOP) or _positive("multiple", multiple)
                    or (None if period >= 1 else f"ATR period must be at least 1, got {period}")
                    or (None if order.trigger_price is not None else "an ATR trailing stop needs its "
                        "first stop as trigger price"))
        case ProfitTarget(offset=offset, percent=percent):
            if (offset is None) == (percent is None):
                return "a profit target needs exactly one of offset and percent"
            return _kind_in(order, "a profit target", OrderType.MARKET) or _positive(
                "offset" if offset is not None else "percent", offset or percent)  # type: ignore[arg-type]
        case BreakEven(threshold=threshold, offset=offset):
            return (_kind_in(order, "a break-even stop", OrderType.STOP) or _positive("threshold", threshold)
                    or (None if offset >= ZERO else f"offset must not be negative, got {offset}"))
        case Scale(step=step, levels=levels):
            return _scale_problem(order, step, levels)
        case TimedExit(bars=bars, at_ts=at_ts):
            if (bars is None) == (at_ts is None):
                return "a timed exit needs exactly one of bars and at_ts"
            if bars is not None and bars < 1:
                return f"a timed exit needs at least 1 bar, got {bars}"
            return _kind_in(order, "a timed exit", OrderType.MARKET)
        case None:
            return None
        case _:
            assert_never(algo)


def _schedule_problem(order: Order, algo: Twap | Vwap) -> str | None:
    name = type(algo).__name__.upper()
    problem = _kind_in(order, f"a {name} order", OrderType.MARKET, OrderType.LIMIT)
    if problem is not None:
        return problem
    if algo.duration_ns <= 0:
        return f"a {name} order needs a positive duration"
    if isinstance(algo, Twap) and algo.slices < 1:
        return f"a TWAP order needs at least 1 slice, got {algo.slices}"
    if isinstance(algo, Vwap) and algo.max_participation is not None:
        return _share("max_participation", algo.max_participation)
    return None


def _scale_problem(order: Order, step: Decimal, levels: int) -> str | None:
    problem = _kind_in(order, "a scale order", OrderType.LIMIT)
    if problem is not None:
        return problem
    if levels < 2 or not step:
        return f"a scale order needs at least 2 levels and a non-zero step, got {levels} and {step}"
    assert order.price is not None
    last = order.price + step * (levels - 1)
    return None if last > ZERO else f"the last scale level {last} is not a positive price"


def _kind_in(order: Order, what: str, *kinds: OrderType) -> str | None:
    if order.kind in kinds:
        return None
    return f"{what} is a {' or '.join(k.value for k in kinds)} order, not {order.kind.value}"


def _positive(name: str, value: Decimal) -> str | None:
    return None if value > ZERO else f"{name} must be positive, got {value}"


def _share(name: str, value: Decimal) -> str | None:
    return None if ZERO < value <= _ONE else f"{name} must be a fraction above 0 and at most 1, got {value}"
