"""Fill rules: the price (slippage, limit cap), fee, quantity and buying-power check of one fill.

- Taker fills (market, stop, and limits marketable when they became active) pay the taker fee and
  fixed-bps slippage against the taker, rounded to the tick against the taker; a limit order's
  fill is never worse than its limit.
- Maker fills (resting limits the price came to) fill at the limit price with the maker fee.
- A post-only order that would fill as taker (marketable when it arrives) is canceled instead.
- A notional market buy is sized at its first fill, at the fill price, so that quantity x price x
  (1 + fee) fits the notional, rounded down to the lot; a part the participation cap cuts off keeps
  working as that many lots (the fill reports it as `leaves_qty`).
- Reduce-only fills are capped at the open position; an order that would increase it is canceled.
- A participation cap limits what fills in one bar to that fraction of the bar's volume.
- A fill that increases a position must keep gross exposure within leverage x equity, else the
  order is canceled with the amounts in the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from tradloopd.model import ZERO, Instrument, Liquidity, Side, TimeInForce, plain, to_decimal

if TYPE_CHECKING:
    from tradloopd.messages import Order
    from tradloopd.positions import Portfolio
    from tradloopd.simulator.venue import Simulator, Working

_BPS = Decimal(10_000)


class FillPlan(NamedTuple):
    quantity: Decimal
    price: Decimal
    fee: Decimal
    liquidity: Liquidity
    unfilled: Decimal  # what of the order's size is left after this fill


def plan_fill(sim: Simulator, working: Working, touch_price: Decimal,
              capacity: Decimal | None) -> FillPlan | str:
    """The fill this touch produces, or the reason the order must be canceled instead."""
    order = working.order
    instrument = sim.instruments[order.symbol]
    limit_like = sim.is_limit_like(working)
    taker = not limit_like or working.fresh
    if taker and order.post_only:
        return "post-only order would take liquidity"
    price = touch_price
    if taker:
        price = taker_price(price, order.side, sim.config.slippage_bps, instrument)
        limit = working.price
        if limit is not None and limit_like:
            price = min(price, limit) if order.side is Side.BUY else max(price, limit)
    fee_rate = sim.config.taker_fee if taker else sim.config.maker_fee
    size = working.leaves
    if size is None:  # a notional order: sized now, at the fill price
        sized = _notional_size(order, price, fee_rate, instrument)
        if isinstance(sized, str):
            return sized
        size = sized
    quantity = _fill_quantity(sim, working, size, capacity)
    if isinstance(quantity, str):
        return quantity
    fee = quantity * price * fee_rate
    marks = {s: to_decimal(sim.last[s]) if s in sim.last else (p.avg_price or ZERO)
             for s, p in sim.account.positions.items() if p.qty and s != order.symbol}
    problem = buying_power_problem(sim.account, marks, order.symbol, order.side, quantity, price,
                                   fee, sim.config.leverage)
    if problem is not None:
        return problem
    return FillPlan(quantity, price, fee, Liquidity.TAKER if taker else Liquidity.MAKER,
                    size - quantity)


def _notional_size(order: Order, price: Decimal, fee_rate: Decimal,
                   instrument: Instrument) -> Decimal | str:
    """The lots a notional order buys at `price`, or why it cannot buy any."""
    assert order.notional is not None
    size = notional_quantity(order.notional, price, fee_rate, instrument)
    if size <= ZERO:
        return f"notional {order.notional} buys less than one lot at {price}"
    if size < instrument.min_size:
        return (f"notional {order.notional} buys {plain(size)} at {price}, below the minimum "
                f"size {plain(instrument.min_size)}")
    return size


def _fill_quantity(sim: Simulator, working: Working, size: Decimal,
                   capacity: Decimal | None) -> Decimal | str:
    """How much of `size` may fill now: reduce-only and the participation cap may cut it."""
    order = working.order
    quantity = size
    if order.reduce_only:
        position = sim.account.qty(order.symbol)
        if not position or (position > 0) == (order.side is Side.BUY):
            return "reduce-only order would increase the position"
        if abs(position) < quantity and order.tif is TimeInForce.FOK:
            return (f"FOK: only {plain(abs(position))} of {plain(quantity)} can fill reduce-only "
                    "(the position)")
        quantity = min(quantity, abs(position))
    if capacity is not None and quantity > capacity:
        if order.tif is TimeInForce.FOK:
            return (f"FOK: only {plain(capacity)} of {plain(quantity)} available within the "
                    "participation cap")
        quantity = capacity
    return quantity


def taker_price(price: Decimal, side: Side, bps: Decimal, instrument: Instrument) -> Decimal:
    """The price a taker pays: `bps` worse than `price`, rounded to the tick against the taker."""
    if not bps:
        return price
    if side is Side.BUY:
        return instrument.round_price(price * (1 + bps / _BPS), up=True)
    return instrument.round_price(price * (1 - bps / _BPS), up=False)


def notional_quantity(notional: Decimal, price: Decimal, fee_rate: Decimal,
                      instrument: Instrument) -> Decimal:
    """The most lots whose cost plus fee fits in `notional` at `price`."""
    return instrument.floor_size(notional / (price * (1 + fee_rate)))


def buying_power_problem(account: Portfolio, marks: Mapping[str, Decimal], symbol: str,
                         side: Side, quantity: Decimal, price: Decimal, fee: Decimal,
                         leverage: Decimal) -> str | None:
    """Why a fill that grows a position would break gross exposure <= leverage x equity, or None.

    `marks` prices the other symbols' positions; this symbol is marked at the fill price.
    """
    before = account.qty(symbol)
    after = before + quantity * side.sign
    if abs(after) <= abs(before) and (after == 0 or (after > 0) == (before > 0)):
        return None  # reduces the position: always allowed
    cash = account.cash - quantity * price * side.sign - fee
    equity, gross = cash + after * price, abs(after) * price
    for other, position in account.positions.items():
        if other != symbol and position.qty:
            equity += position.qty * marks[other]
            gross += abs(position.qty) * marks[other]
    if gross > leverage * equity:
        return (f"insufficient buying power: exposure {gross:.2f} would exceed "
                f"{leverage} x equity {equity:.2f}")
    return None
