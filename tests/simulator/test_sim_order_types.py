"""When each order type acts on a bar, and at what price: market, limit, stop, stop-limit.

Bars used throughout (one minute each):
- up bar   O=100 H=104 L=99 C=103: the low is nearer, so the path is 100 -> 99 -> 104 -> 103
- down bar O=100 H=101 L=96 C=97:  the high is nearer, so the path is 100 -> 101 -> 96 -> 97
"""

from __future__ import annotations

import pytest
from venue_builders import MINUTE, D, Paper, fill_prices, fills, kinds

from tradloopd.model import Liquidity

UP = (100.0, 104.0, 99.0, 103.0)
DOWN = (100.0, 101.0, 96.0, 97.0)


# Market ---------------------------------------------------------------------------------------


def test_market_order_placed_at_a_close_fills_at_the_next_bar_open_stamped_with_its_open_time():
    paper = Paper()
    paper.bar(90.0, 95.0, 89.0, 94.0)  # the bar whose close the strategy acts on
    acted_at = paper.now
    paper.submit("a", "buy", 2)
    events = paper.bar(*UP)
    (fill,) = fills(events)
    assert fill.price == D(100)  # the next bar's open, not the close (94) it was decided on
    assert fill.ts_event == acted_at  # the next bar's open time
    assert fill.quantity == 2 and fill.liquidity is Liquidity.TAKER
    assert paper.position() == 2


def test_market_order_does_not_fill_before_a_bar_arrives():
    paper = Paper()
    assert kinds(paper.submit("a", "buy", 1)) == [("accepted", "a")]
    assert paper.working() == ["a"]
    assert paper.position() == 0


# Limit ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("side", "limit", "bar", "price"), [
    ("buy", 99.5, UP, 99.5),      # the path dips to 99 first: filled at the limit
    ("sell", 103.5, UP, 103.5),   # the path rises to 104 later: filled at the limit
    ("buy", 97.0, DOWN, 97.0),    # reached on the way down to 96
    ("sell", 100.5, DOWN, 100.5),  # reached on the first leg up to 101
])
def test_limit_reached_inside_the_bar_fills_at_its_limit_as_maker(side, limit, bar, price):
    paper = Paper(maker_fee="0.001", taker_fee="0.002")
    paper.submit("a", side, 1, kind="limit", price=limit)
    paper.bar(*bar)
    (fill,) = fills(paper.events)
    assert fill.price == D(price)
    assert fill.liquidity is Liquidity.MAKER
    assert fill.fee == D(price) * D("0.001")


@pytest.mark.parametrize(("side", "limit", "bar"), [
    ("buy", 98.5, UP),     # low is 99
    ("sell", 104.5, UP),   # high is 104
    ("buy", 95.5, DOWN),   # low is 96
    ("sell", 101.5, DOWN),  # high is 101
])
def test_limit_the_bar_never_reaches_stays_working(side, limit, bar):
    paper = Paper()
    paper.submit("a", side, 1, kind="limit", price=limit)
    assert paper.bar(*bar) == []
    assert paper.working() == ["a"]


def test_marketable_limit_fills_at_the_open_when_it_arrives_better_than_its_limit():
    paper = Paper()
    paper.submit("a", "buy", 1, kind="limit", price=102)
    (fill,) = fills(paper.bar(*UP))
    assert fill.price == D(100)
    assert fill.liquidity is Liquidity.TAKER


def test_resting_buy_limit_gapped_through_fills_at_the_open_not_the_limit():
    paper = Paper()
    paper.submit("a", "buy", 1, kind="limit", price=99.5)
    paper.bar(101.0, 102.0, 100.0, 101.0)  # not reached: the order rests
    (fill,) = fills(paper.bar(97.0, 98.0, 96.0, 97.5))  # gap down through 99.5
    assert fill.price == D(97)


def test_resting_sell_limit_gapped_through_fills_at_the_open():
    paper = Paper()
    paper.submit("a", "sell", 1, kind="limit", price=102)
    paper.bar(101.0, 101.5, 100.0, 101.0)
    (fill,) = fills(paper.bar(104.0, 105.0, 103.5, 104.0))  # gap up through 102
    assert fill.price == D(104)


@pytest.mark.parametrize(("mode", "filled"), [("touch", True), ("through", False)])
def test_limit_at_exactly_the_low_fills_on_touch_but_not_in_through_mode(mode, filled):
    paper = Paper(limit_fill=mode)
    paper.submit("a", "buy", 1, kind="limit", price=99)
    paper.bar(*UP)  # low is exactly 99
    assert bool(fills(paper.events)) is filled


def test_through_mode_fills_a_limit_the_price_trades_beyond():
    paper = Paper(limit_fill="through")
    paper.submit("a", "sell", 1, kind="limit", price=103)
    (fill,) = fills(paper.bar(*UP))
    assert fill.price == D(103)


@pytest.mark.parametrize(("fields", "bar", "price"), [
    ({"kind": "limit", "price": "100.3"}, (100.0, 100.3, 99.0, 100.0), "100.3"),  # high == limit
    ({"kind": "stop", "trigger_price": "99.7"}, (100.0, 101.0, 99.7, 100.0), "99.7"),  # low == stop
])
def test_sell_order_at_exactly_the_bars_extreme_acts_for_decimal_prices(fields, bar, price):
    paper = Paper()
    paper.submit("a", "sell", 1, **fields)
    paper.bar(*bar)
    assert fill_prices(paper.events) == [D(price)]


def test_through_mode_does_not_fill_a_limit_equal_to_a_decimal_low():
    paper = Paper(limit_fill="through")
    paper.submit("a", "buy", 1, kind="limit", price="100.1")
    paper.bar(100.5, 101.0, 100.1, 100.5)
    assert fills(paper.events) == []


# Stop -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("side", "trigger", "bar", "price"), [
    ("buy", 102, UP, 102),    # reached on the way up to 104
    ("sell", 99.5, UP, 99.5),  # reached on the dip to 99
    ("sell", 98, DOWN, 98),   # reached on the way down to 96
    ("buy", 100.5, DOWN, 100.5),  # reached on the first leg up to 101
])
def test_stop_triggered_inside_the_bar_fills_at_its_trigger_as_taker(side, trigger, bar, price):
    paper = Paper(maker_fee="0.001", taker_fee="0.002")
    paper.submit("a", side, 1, kind="stop", trigger_price=trigger)
    (fill,) = fills(paper.bar(*bar))
    assert fill.price == D(price)
    assert fill.liquidity is Liquidity.TAKER
    assert fill.fee == D(price) * D("0.002")


def test_stop_not_reached_stays_working():
    paper = Paper()
    paper.submit("a", "buy", 1, kind="stop", trigger_price=104.5)
    paper.submit("b", "sell", 1, kind="stop", trigger_price=98.5)
    assert paper.bar(*UP) == []
    assert paper.working() == ["a", "b"]


def test_buy_stop_gapped_over_fills_at_the_open():
    paper = Paper()
    paper.submit("a", "buy", 1, kind="stop", trigger_price=102)
    (fill,) = fills(paper.bar(105.0, 106.0, 104.0, 105.5))
    assert fill.price == D(105)


def test_sell_stop_gapped_under_fills_at_the_open():
    paper = Paper()
    paper.submit("a", "sell", 1, kind="stop", trigger_price=98)
    (fill,) = fills(paper.bar(95.0, 96.0, 94.0, 95.0))
    assert fill.price == D(95)


# Stop-limit -----------------------------------------------------------------------------------


def test_stop_limit_triggers_then_fills_at_the_trigger_when_its_limit_allows():
    paper = Paper()
    paper.submit("a", "buy", 1, kind="stop_limit", trigger_price=102, price=102.5)
    events = paper.bar(*UP)
    assert kinds(events) == [("triggered", "a"), ("filled", "a")]
    assert fill_prices(events) == [D(102)]
    assert fills(events)[0].liquidity is Liquidity.TAKER


def test_stop_limit_gapped_past_its_limit_triggers_and_waits_as_a_limit():
    paper = Paper()
    paper.submit("a", "buy", 1, kind="stop_limit", trigger_price=102, price=102.5)
    assert kinds(paper.bar(105.0, 106.0, 104.0, 105.0)) == [("triggered", "a")]
    assert paper.working() == ["a"]
    # it now rests as a buy limit at 102.5: the next bar comes back down through it
    events = paper.bar(104.0, 104.5, 101.0, 102.0)
    assert kinds(events) == [("filled", "a")]
    assert fill_prices(events) == [D("102.5")]
    assert fills(events)[0].liquidity is Liquidity.MAKER


def test_sell_stop_limit_triggered_on_a_down_bar():
    paper = Paper()
    paper.submit("a", "sell", 1, kind="stop_limit", trigger_price=98, price=97.5)
    events = paper.bar(*DOWN)
    assert kinds(events) == [("triggered", "a"), ("filled", "a")]
    assert fill_prices(events) == [D(98)]


def test_stop_limit_not_triggered_does_nothing():
    paper = Paper()
    paper.submit("a", "sell", 1, kind="stop_limit", trigger_price=95, price=94)
    assert paper.bar(*DOWN) == []


# Order of acting inside one bar ---------------------------------------------------------------


def test_orders_act_in_the_order_the_path_reaches_them_not_the_order_submitted():
    paper = Paper()
    paper.submit("low", "buy", 1, kind="limit", price=97)
    paper.submit("high", "sell", 1, kind="limit", price=100.5)
    events = paper.bar(*DOWN)  # 100 -> 101 -> 96
    assert [f.client_order_id for f in fills(events)] == ["high", "low"]


def test_orders_at_the_same_price_act_in_the_order_accepted():
    paper = Paper()
    paper.submit("first", "buy", 1, kind="limit", price=99.5)
    paper.submit("second", "buy", 1, kind="limit", price=99.5)
    events = paper.bar(*UP)
    assert [f.client_order_id for f in fills(events)] == ["first", "second"]


def test_fills_of_one_bar_are_all_stamped_with_its_open_time():
    paper = Paper()
    paper.bar(*UP)
    start = paper.now
    paper.submit("a", "buy", 1)
    paper.submit("b", "sell", 1, kind="limit", price=103)
    events = paper.bar(*UP)
    assert [f.ts_event for f in fills(events)] == [start, start]
    assert start == MINUTE
