"""The strategy's helpers for the order catalogue: what each builds, rounded, grouped and valid."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.test_context import hold, make_ctx, placed
from tradloopd.account import Account
from tradloopd.errors import StrategyError
from tradloopd.messages import (
    AtrTrail,
    BreakEven,
    Combo,
    Iceberg,
    Pov,
    ProfitTarget,
    Scale,
    TimedExit,
    Trail,
    Twap,
    Vwap,
)
from tradloopd.model import OrderType, Side, TimeInForce, VolumeProfile
from tradloopd.orders.state import order_problem

D = Decimal


def valid(ctx) -> list:  # type: ignore[no-untyped-def]
    orders = placed(ctx)
    assert [order_problem(o) for o in orders] == [None] * len(orders)
    return orders


def test_bracket_attaches_rounded_exits_to_a_market_or_limit_entry():
    ctx = make_ctx()
    ctx.bracket(2, limit="11.999", stop_loss="10.005", take_profit="14.001")
    [entry] = valid(ctx)
    assert (entry.kind, entry.price, entry.stop_loss, entry.take_profit) == (
        OrderType.LIMIT, D("11.99"), D("10.00"), D("14.01"))


def test_if_touched_rounds_its_trigger_away_from_the_market():
    ctx = make_ctx()
    ctx.if_touched(Side.BUY, 1, "11.005")  # a buy below the market: rounded down
    ctx.if_touched(Side.SELL, 1, "13.001", limit="12.995")
    mit, lit = valid(ctx)
    assert (mit.kind, mit.trigger_price, mit.if_touched) == (OrderType.STOP, D("11.00"), True)
    assert (lit.kind, lit.trigger_price, lit.price) == (OrderType.STOP_LIMIT, D("13.01"), D("13.00"))


def test_trailing_stop_closes_the_position_from_the_last_close():
    ctx = make_ctx(i=2)  # last close 12
    hold(ctx.account, "3")
    ctx.trailing_stop(amount="0.5")
    ctx.trailing_stop(percent=2, limit_offset="0.1")
    ctx.trailing_stop(amount=1, activation=13)
    amount, percent, activated = valid(ctx)
    assert (amount.side, amount.quantity, amount.trigger_price, amount.trail) == (
        Side.SELL, D(3), D("11.50"), Trail(amount=D("0.5")))
    assert amount.reduce_only and amount.kind is OrderType.STOP
    assert (percent.kind, percent.trigger_price, percent.price) == (
        OrderType.STOP_LIMIT, D("11.76"), D("11.66"))
    assert (activated.trigger_price, activated.trail.activation) == (None, D(13))


def test_trailing_stop_for_a_new_position_needs_a_side_and_a_quantity():
    ctx = make_ctx()
    with pytest.raises(StrategyError, match="there is none in X"):
        ctx.trailing_stop(amount=1)
    ctx.trailing_stop(2, side=Side.BUY, amount=1)
    [entry] = valid(ctx)
    assert (entry.side, entry.quantity, entry.trigger_price, entry.reduce_only) == (
        Side.BUY, D(2), D(13), False)


def test_oco_oca_oto_and_otoco_group_the_orders_they_submit():
    ctx = make_ctx()
    target, stop = ctx.order(Side.SELL, 1, limit=14), ctx.order(Side.SELL, 1, stop=10)
    group = ctx.oco(target, stop)
    entry = ctx.order(Side.BUY, 1, limit=11)
    ctx.otoco(entry, ctx.order(Side.SELL, 1, limit=14), ctx.order(Side.SELL, 1, stop=10))
    orders = valid(ctx)
    assert [o.oca_group for o in orders[:2]] == [group, group] == [target.client_order_id] * 2
    assert orders[2] is entry and orders[2].oto_parent is None
    assert [(o.oto_parent, o.oca_group) for o in orders[3:]] == [(entry.client_order_id,) * 2] * 2


def test_multi_leg_legs_are_ioc_unless_built_fok_and_may_be_other_symbols():
    ctx = make_ctx()
    ctx.multi_leg(ctx.order(Side.BUY, 1), ctx.order(Side.SELL, 2, symbol="Y", tif="fok"))
    x, y = valid(ctx)
    assert x.combo == y.combo == Combo(group=x.client_order_id, legs=2)
    assert (x.tif, y.tif, y.symbol) == (TimeInForce.IOC, TimeInForce.FOK, "Y")


def test_execution_algorithms_carry_their_specs():
    ctx = make_ctx()
    ctx.twap(Side.BUY, 5, duration_s=300, slices=5)
    ctx.vwap(Side.BUY, 5, duration_s=600, profile="front", max_participation="0.1", limit=12)
    ctx.iceberg(Side.SELL, 5, limit=13, display="1.05")
    ctx.pov(Side.BUY, 5, participation="0.2", end_ts=99)
    ctx.scale(Side.BUY, 3, start=12, step="-0.505", levels=3)
    twap, vwap, iceberg, pov, scale = valid(ctx)
    assert twap.algo == Twap(duration_ns=300 * 10**9, slices=5) and twap.kind is OrderType.MARKET
    assert vwap.algo == Vwap(duration_ns=600 * 10**9, profile=VolumeProfile.FRONT,
                             max_participation=D("0.1")) and vwap.price == 12
    assert iceberg.algo == Iceberg(display_qty=D("1.0"))  # rounded down to the lot
    assert pov.algo == Pov(participation=D("0.2"), end_ts=99)
    assert scale.algo == Scale(step=D("-0.50"), levels=3) and scale.price == 12


def test_position_exits_close_the_position():
    ctx = make_ctx()
    hold(ctx.account, "-2")
    ctx.atr_trailing_stop(multiple=3, stop=14, period=10)
    ctx.profit_target(percent=5)
    ctx.break_even(threshold=9, stop=14, offset="0.1")
    ctx.timed_exit(bars=4)
    atr, target, even, timed = valid(ctx)
    for order in (atr, target, even, timed):
        assert (order.side, order.quantity, order.reduce_only) == (Side.BUY, D(2), True)
    assert atr.algo == AtrTrail(multiple=D(3), period=10) and atr.trigger_price == 14
    assert target.algo == ProfitTarget(percent=D(5))
    assert even.algo == BreakEven(threshold=D(9), offset=D("0.1"))
    assert timed.algo == TimedExit(bars=4)


def test_an_exit_without_a_position_is_a_strategy_error():
    ctx = make_ctx(account=Account(D(1000)))
    with pytest.raises(StrategyError, match="an exit closes a position"):
        ctx.timed_exit(bars=2)
