"""The strategy's context: data only up to the current bar, order helpers, rounding, ids."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

import numpy as np
import pytest

from tradloopd.account import Account
from tradloopd.clock import SimClock
from tradloopd.context import Context, OrderIds
from tradloopd.errors import LookAheadError, StrategyError
from tradloopd.messages import CancelOrder, Order, OrderFilled, SubmitOrder
from tradloopd.model import Instrument, Liquidity, OrderType, Side, TimeInForce

D = Decimal
CLOSES = [10.0, 11.0, 12.0, 13.0, 14.0]


def make_ctx(*, i: int = 2, cash: object = 1000, tick: str = "0.01", lot: str = "0.1",
             strategy_id: str = "s:X", account: Account | None = None,
             ids: OrderIds | None = None) -> Context:
    clock = SimClock(5_000)
    ctx = Context(
        strategy_id=strategy_id,
        instrument=Instrument(symbol="X", price_increment=D(tick), size_increment=D(lot)),
        account=account or Account(D(str(cash))), clock=clock, params=None,
        columns={"close": np.array(CLOSES), "volume": np.array([1.0] * 5)},
        values={"sma": [math.nan, 10.5, 11.5, 12.5, 13.5]}, marks={"X": CLOSES[i]},
        ids=ids or OrderIds("bt"),
    )
    ctx.i = i
    return ctx


def hold(account: Account, qty: str, price: str = "10") -> None:
    side = Side.BUY if D(qty) > 0 else Side.SELL
    order = Order(client_order_id=f"h{qty}", symbol="X", side=side, quantity=abs(D(qty)))
    account.add_order(order)
    account.mark_submitted(order.client_order_id, 0)
    account.apply(OrderFilled(client_order_id=order.client_order_id, fill_id="f", symbol="X",
                              side=side, quantity=abs(D(qty)), price=D(price), fee=D(0),
                              liquidity=Liquidity.TAKER, ts_event=0))


def placed(ctx: Context) -> list[Order]:
    return [c.order for c in ctx.commands if isinstance(c, SubmitOrder)]


# Data up to the current bar ---------------------------------------------------------------------


def test_indicator_now_and_bars_ago_and_nan_before_the_data():
    ctx = make_ctx(i=2)
    assert ctx.indicator("sma") == 11.5
    assert ctx.indicator("sma", 1) == 10.5
    assert math.isnan(ctx.indicator("sma", 2))  # the indicator's warm-up
    assert math.isnan(ctx.indicator("sma", 3))  # before the first bar


def test_indicator_refuses_to_look_ahead():
    with pytest.raises(LookAheadError, match=r"indicator\('sma', ago=-1\): the future is not visible"):
        make_ctx(i=2).indicator("sma", -1)


def test_history_ends_at_the_current_bar_and_is_read_only():
    ctx = make_ctx(i=2)
    assert ctx.history("close", 2).tolist() == [11.0, 12.0]
    assert ctx.history("close", 100).tolist() == [10.0, 11.0, 12.0]
    assert ctx.history("sma", 1).tolist() == [11.5]
    view = ctx.history("close", 3)
    with pytest.raises(ValueError, match="read-only"):
        view[0] = 99.0


def test_history_of_an_unknown_field_names_it():
    with pytest.raises(StrategyError, match=r"history\('vwap'\): no such bar field or declared indicator"):
        make_ctx().history("vwap", 3)


def test_nothing_reachable_from_the_context_shows_a_later_bar():
    ctx = make_ctx(i=2)
    for name in ("columns", "values"):
        for series in getattr(ctx, name, {}).values():
            assert len(series) <= ctx.i + 1, f"ctx.{name} reaches past the current bar"


def test_no_public_attribute_of_the_context_holds_a_series_past_the_current_bar():
    ctx = make_ctx(i=2)
    for name in (n for n in dir(ctx) if not n.startswith("_")):
        value = getattr(ctx, name)
        for item in value.values() if isinstance(value, Mapping) else [value]:
            if isinstance(item, list | tuple | np.ndarray):
                assert len(item) <= ctx.i + 1, f"ctx.{name} reaches past the current bar"


# Account ------------------------------------------------------------------------------------------


def test_position_cash_and_equity_marked_at_the_last_close():
    account = Account(D(1000))
    hold(account, "5", price="10")
    ctx = make_ctx(i=2, account=account)
    assert ctx.position == 5 and ctx.position_of("Y") == 0
    assert ctx.cash == 950.0
    assert ctx.equity == 950.0 + 5 * 12.0


# Orders -------------------------------------------------------------------------------------------


def test_buy_sends_a_market_order_with_a_deterministic_id_at_the_clock_time():
    ids = OrderIds("node")
    ctx = make_ctx(ids=ids)
    assert ctx.buy(2) == "node-1"
    assert ctx.buy(1) == "node-2"
    first = ctx.commands[0]
    assert isinstance(first, SubmitOrder) and first.ts_event == 5_000
    assert (first.order.side, first.order.kind, first.order.quantity) == (Side.BUY, OrderType.MARKET, 2)
    assert (first.order.symbol, first.order.strategy_id, first.order.ts_init) == ("X", "s:X", 5_000)


def test_order_ids_continue_from_a_given_sequence_after_a_restart():
    ids = OrderIds("node", start=41)
    assert [ids.next(), ids.next()] == ["node-42", "node-43"]


def test_buy_without_quantity_spends_all_available_cash_sized_at_the_fill():
    ctx = make_ctx(cash=1234)
    ctx.buy()
    (order,) = placed(ctx)
    assert (order.quantity, order.notional) == (None, 1234)


def test_buy_with_a_notional_amount():
    ctx = make_ctx()
    ctx.buy(notional=250)
    assert placed(ctx)[0].notional == 250


def test_sell_without_quantity_closes_the_whole_long():
    account = Account(D(1000))
    hold(account, "3")
    ctx = make_ctx(account=account)
    ctx.sell()
    assert (placed(ctx)[0].side, placed(ctx)[0].quantity) == (Side.SELL, 3)


@pytest.mark.parametrize("held", [None, "-2"])
def test_sell_without_quantity_and_no_long_is_a_strategy_error(held):
    account = Account(D(1000))
    if held:
        hold(account, held)
    with pytest.raises(StrategyError, match=r"sell\(\) without qty closes a long position, and none"):
        make_ctx(account=account).sell()


def test_close_cancels_this_strategys_open_orders_and_flattens_at_market():
    account = Account(D(1000))
    hold(account, "-2")
    mine = Order(client_order_id="mine", symbol="X", side=Side.BUY, kind=OrderType.LIMIT,
                 quantity=D(1), price=D(5), strategy_id="s:X")
    theirs = Order(client_order_id="theirs", symbol="X", side=Side.BUY, kind=OrderType.LIMIT,
                   quantity=D(1), price=D(5), strategy_id="other:X")
    for order in (mine, theirs):
        account.add_order(order)
        account.mark_submitted(order.client_order_id, 0)
    ctx = make_ctx(account=account)
    assert [t.client_order_id for t in ctx.open_orders()] == ["mine"]
    cid = ctx.close()
    cancel, submit = ctx.commands
    assert isinstance(cancel, CancelOrder) and cancel.client_order_id == "mine"
    assert isinstance(submit, SubmitOrder) and submit.order.client_order_id == cid
    assert (submit.order.side, submit.order.quantity, submit.order.tag) == (Side.BUY, 2, "close")


def test_close_when_flat_sends_nothing_but_the_cancels():
    ctx = make_ctx()
    assert ctx.close() is None
    assert ctx.commands == []


@pytest.mark.parametrize(("side", "limit", "expected"), [
    (Side.BUY, "10.006", "10.00"),   # a buyer's limit rounds down: never pays more than asked
    (Side.SELL, "10.001", "10.01"),  # a seller's limit rounds up
])
def test_limit_price_is_rounded_to_the_tick_away_from_the_market(side, limit, expected):
    order = make_ctx().order(side, 1, limit=limit)
    assert (order.kind, order.price) == (OrderType.LIMIT, D(expected))


@pytest.mark.parametrize(("side", "stop", "expected"), [
    (Side.BUY, "10.001", "10.01"),   # a buy stop sits above the market: rounds up
    (Side.SELL, "9.999", "9.99"),    # a sell stop sits below: rounds down
])
def test_stop_price_is_rounded_away_from_the_market(side, stop, expected):
    order = make_ctx().order(side, 1, stop=stop)
    assert (order.kind, order.trigger_price) == (OrderType.STOP, D(expected))


def test_limit_and_stop_together_make_a_stop_limit():
    order = make_ctx().order(Side.BUY, 1, limit=11, stop=10.5)
    assert (order.kind, order.price, order.trigger_price) == (OrderType.STOP_LIMIT, 11, D("10.5"))


@pytest.mark.parametrize(("side", "stop_loss", "take_profit", "expected"), [
    (Side.BUY, 9.005, 11.005, ("9.00", "11.01")),   # long: stop below rounds down, target up
    (Side.SELL, 11.005, 9.005, ("11.01", "9.00")),  # short: stop above rounds up, target down
])
def test_attached_exits_are_rounded_further_away_from_the_entry(side, stop_loss, take_profit,
                                                                 expected):
    order = make_ctx().order(side, 1, stop_loss=stop_loss, take_profit=take_profit)
    assert (order.stop_loss, order.take_profit) == tuple(D(x) for x in expected)


def test_quantity_is_rounded_down_to_the_lot():
    assert make_ctx(lot="0.1").order(Side.BUY, 1.99).quantity == D("1.9")


def test_quantity_smaller_than_a_lot_is_a_strategy_error_naming_the_lot_size():
    ctx = make_ctx(lot="1")
    with pytest.raises(StrategyError, match=r"quantity 0.5 of X is less than one lot \(1\)"):
        ctx.buy(0.5)
    assert ctx.commands == []


def test_qty_and_notional_together_are_a_strategy_error():
    with pytest.raises(StrategyError, match=r"give qty \(2\) or notional \(100\), not both"):
        make_ctx().buy(2, notional=100)


def test_a_sell_without_a_quantity_cannot_be_notional():
    with pytest.raises(StrategyError, match="a sell needs a quantity"):
        make_ctx().order(Side.SELL, None, notional=100)


def test_order_keeps_time_in_force_flags_and_tag():
    order = make_ctx().order(Side.SELL, 1, limit=12, tif="gtd", expire_ts=9, post_only=True,
                             reduce_only=True, tag="exit")
    assert (order.tif, order.expire_ts, order.post_only, order.reduce_only, order.tag) == \
        (TimeInForce.GTD, 9, True, True, "exit")


def test_cancel_sends_a_cancel_command_for_the_symbol():
    ctx = make_ctx()
    ctx.cancel("bt-7")
    assert ctx.commands == [CancelOrder(client_order_id="bt-7", symbol="X", ts_event=5_000)]
