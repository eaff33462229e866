"""The paper venue's front door: acceptance, rejections with reasons, duplicates, cancels."""

from __future__ import annotations

import pytest
from venue_builders import D, Paper, fills, kinds, order, reason

from tradloopd.messages import OrderAccepted, OrderCanceled, OrderRejected

UP = (100.0, 104.0, 99.0, 103.0)


def test_accepted_order_is_stamped_with_the_submit_time_and_gets_a_venue_id():
    paper = Paper()
    paper.minute = 7
    assert paper.submit("a", "buy", 1) == [
        OrderAccepted(client_order_id="a", venue_order_id="SIM-1", ts_event=paper.now)]


def test_duplicate_client_order_id_is_ignored_while_working():
    paper = Paper()
    paper.submit("a", "buy", 1)
    assert paper.submit("a", "buy", 5) == []
    assert paper.working() == ["a"]
    paper.bar(*UP)
    assert [f.quantity for f in fills(paper.events)] == [1]


def test_duplicate_of_a_filled_order_does_not_trade_again():
    paper = Paper()
    paper.submit("a", "buy", 1)
    paper.bar(*UP)
    assert paper.submit("a", "buy", 1) == []
    paper.bar(*UP)
    assert paper.position() == 1


def test_duplicate_of_a_rejected_order_is_ignored_too():
    paper = Paper()
    assert kinds(paper.submit("a", "buy", -1)) == [("rejected", "a")]
    assert paper.submit("a", "buy", 1) == []
    assert paper.working() == []


@pytest.mark.parametrize(("fields", "why"), [
    ({"qty": -1}, "quantity must be positive, got -1"),
    ({"qty": 0}, "quantity must be positive, got 0"),
    ({"qty": None}, "exactly one of quantity and notional must be given"),
    ({"qty": 1, "notional": 100}, "exactly one of quantity and notional must be given"),
    ({"qty": None, "notional": 100, "kind": "limit", "price": 99},
     "notional sizing is only for market buys with a positive amount"),
    ({"qty": None, "notional": -5}, "notional sizing is only for market buys with a positive amount"),
    ({"kind": "limit"}, "limit order needs limit price"),
    ({"price": 99}, "market order takes no limit price"),
    ({"kind": "stop"}, "stop order needs trigger price"),
    ({"kind": "stop_limit", "price": 99}, "stop_limit order needs trigger price"),
    ({"kind": "limit", "price": 99, "trigger_price": 98}, "limit order takes no trigger price"),
    ({"kind": "limit", "price": -1}, "price must be positive, got -1"),
    ({"stop_loss": 0}, "stop_loss must be positive, got 0"),
    ({"tif": "gtd"}, "GTD orders need expire_ts, and only GTD orders take one"),
    ({"expire_ts": 5}, "GTD orders need expire_ts, and only GTD orders take one"),
    ({"post_only": True}, "post-only applies to limit orders only"),
    ({"symbol": "NOPE"}, "unknown symbol 'NOPE'"),
    ({"qty": "0.5"}, "quantity 0.5 is not a multiple of the lot size 1"),
    ({"kind": "limit", "price": "99.005"}, "price 99.005 is not a multiple of the tick 0.01"),
    ({"take_profit": "105.001"}, "take_profit 105.001 is not a multiple of the tick 0.01"),
])
def test_invalid_orders_are_rejected_with_the_reason(fields, why):
    paper = Paper(lot=D(1))
    qty = fields.pop("qty", 1)
    assert paper.submit("a", "buy", qty, **fields) == [
        OrderRejected(client_order_id="a", reason=why, ts_event=0)]
    assert paper.working() == []


def test_notional_sell_is_rejected():
    assert Paper().submit("a", "sell", notional=1_000) == [OrderRejected(
        client_order_id="a", reason="notional sizing is only for market buys with a positive amount",
        ts_event=0)]


def test_order_below_the_minimum_size_is_rejected():
    paper = Paper(min_size=D(2))
    events = paper.submit("a", "buy", 1)
    assert events == [OrderRejected(client_order_id="a", reason="quantity 1 is below the minimum 2",
                                    ts_event=0)]


def test_post_only_that_would_take_liquidity_at_the_last_price_is_rejected():
    paper = Paper()
    paper.bar(*UP)  # last close 103
    events = paper.submit("a", "buy", 1, kind="limit", price=103, post_only=True)
    assert events == [OrderRejected(client_order_id="a", reason="post-only order would take liquidity",
                                    ts_event=paper.now)]


def test_post_only_below_the_market_rests_and_fills_as_maker():
    paper = Paper(maker_fee="0.001", taker_fee="0.002")
    paper.bar(*UP)
    assert kinds(paper.submit("a", "buy", 1, kind="limit", price=102, post_only=True)) == \
        [("accepted", "a")]
    (fill,) = fills(paper.bar(103.0, 103.5, 101.0, 102.0))
    assert (fill.price, fill.liquidity) == (D(102), "maker")


def test_post_only_never_takes_liquidity_even_on_a_gap():
    paper = Paper(maker_fee="0.001", taker_fee="0.01")
    paper.bar(*UP)  # last close 103
    paper.submit("a", "buy", 1, kind="limit", price=100, post_only=True)
    paper.bar(98.0, 99.0, 97.0, 98.0)  # opens below the limit
    assert all(f.liquidity == "maker" for f in fills(paper.events))


def test_post_only_marketable_when_it_arrives_is_canceled_with_the_reason():
    paper = Paper()
    paper.bar(*UP)
    paper.submit("a", "buy", 1, kind="limit", price=100, post_only=True)
    events = paper.bar(98.0, 99.0, 97.0, 98.0)
    assert kinds(events) == [("canceled", "a")]
    assert reason(events, "a") == "post-only order would take liquidity"


def test_cancel_removes_a_working_order_and_it_never_fills():
    paper = Paper()
    paper.submit("a", "buy", 1, kind="limit", price=99.5)
    assert paper.cancel("a") == [OrderCanceled(client_order_id="a", reason="canceled", ts_event=0)]
    paper.bar(*UP)
    assert fills(paper.events) == [] and paper.working() == []


def test_cancel_of_an_unknown_or_finished_order_says_nothing():
    paper = Paper()
    assert paper.cancel("ghost") == []
    paper.submit("a", "buy", 1)
    paper.bar(*UP)
    assert paper.cancel("a") == []


def test_orders_on_another_symbol_are_not_matched_by_this_symbols_bars():
    paper = Paper(symbols=("X", "Y"))
    paper.submit(order("y", "buy", 1, symbol="Y"))
    paper.bar(*UP, symbol="X")
    assert paper.working() == ["y"]
    paper.bar(50.0, 51.0, 49.0, 50.0, symbol="Y")
    assert [(f.symbol, f.price) for f in fills(paper.events)] == [("Y", 50)]
