"""What limits a fill: reduce-only, the volume participation cap, and buying power."""

from __future__ import annotations

import pytest
from venue_builders import D, Paper, fills, kinds, reason

from tradloopd.account import Account

FLAT = (100.0, 100.0, 100.0, 100.0)
UP = (100.0, 104.0, 99.0, 103.0)


def long_paper(qty: int = 2, **config: object) -> Paper:
    paper = Paper(**config)
    paper.submit("entry", "buy", qty)
    paper.bar(*FLAT)
    assert paper.position() == qty
    paper.events.clear()
    return paper


# Reduce-only ----------------------------------------------------------------------------------


def test_reduce_only_larger_than_the_position_closes_it_and_cancels_the_rest():
    paper = long_paper(2)
    paper.submit("r", "sell", 5, reduce_only=True)
    events = paper.bar(*UP)
    assert [f.quantity for f in fills(events)] == [2]
    assert reason(events, "r") == "reduce-only: the position is closed"
    assert paper.position() == 0


def test_reduce_only_on_the_side_that_would_grow_the_position_is_canceled_unfilled():
    paper = long_paper(2)
    paper.submit("r", "buy", 1, reduce_only=True)
    events = paper.bar(*UP)
    assert kinds(events) == [("canceled", "r")]
    assert reason(events, "r") == "reduce-only order would increase the position"
    assert paper.position() == 2


def test_reduce_only_when_flat_is_canceled_when_it_would_fill():
    paper = Paper()
    paper.submit("r", "sell", 1, kind="limit", price=103, reduce_only=True)
    events = paper.bar(*UP)
    assert kinds(events) == [("canceled", "r")]
    assert paper.position() == 0


def test_reduce_only_is_judged_at_fill_time_not_at_submit():
    paper = Paper()
    paper.submit("r", "sell", 1, kind="limit", price=103, reduce_only=True)  # flat now
    paper.submit("entry", "buy", 1)
    events = paper.bar(*UP)  # the entry fills at the open, then the price reaches 103
    assert [f.client_order_id for f in fills(events)] == ["entry", "r"]
    assert paper.position() == 0


# Participation cap ------------------------------------------------------------------------------


def test_participation_cap_fills_part_per_bar_and_the_rest_on_later_bars():
    paper = Paper(max_participation="0.1")
    paper.submit("a", "buy", 5)
    first = paper.bar(100.0, 101.0, 99.0, 100.0, v=30)   # 10% of 30 = 3
    second = paper.bar(102.0, 103.0, 101.0, 102.0, v=30)
    assert [(f.quantity, f.price) for f in fills(first)] == [(3, 100)]
    assert [(f.quantity, f.price) for f in fills(second)] == [(2, 102)]
    assert paper.working() == []
    assert paper.position() == 5


def test_participation_cap_is_shared_by_every_order_of_the_bar_in_path_order():
    paper = Paper(max_participation="0.1")
    paper.submit("a", "buy", 2)
    paper.submit("b", "buy", 2, kind="limit", price=99.5)
    events = paper.bar(*UP, v=30)  # capacity 3: a takes 2 at the open, b gets 1 at 99.5
    assert [(f.client_order_id, f.quantity) for f in fills(events)] == [("a", 2), ("b", 1)]
    assert paper.working() == ["b"]


def test_a_bar_without_volume_fills_nothing_under_a_participation_cap():
    paper = Paper(max_participation="0.5")
    paper.submit("a", "buy", 1)
    paper.submit("s", "sell", 1, kind="stop", trigger_price=99.5)
    assert paper.bar(*UP, v=0) == []
    assert paper.working() == ["a", "s"]


def test_capacity_is_rounded_down_to_the_lot():
    paper = Paper(max_participation="0.1", lot=D(1))
    paper.submit("a", "buy", 5)
    (fill,) = fills(paper.bar(*UP, v=39))  # 3.9 -> 3 lots
    assert fill.quantity == 3


def test_triggered_stop_keeps_filling_its_rest_as_a_market_order():
    paper = long_paper(4, max_participation="0.5")
    paper.submit("s", "sell", 4, kind="stop", trigger_price=95)
    paper.bar(96.0, 96.0, 94.0, 96.0, v=2)  # triggers; capacity 1 fills 1
    paper.bar(97.0, 98.0, 96.0, 97.0, v=100)  # back above the trigger
    assert sum(f.quantity for f in fills(paper.events, "s")) == 4


def test_notional_order_cut_by_the_cap_keeps_working_or_says_it_was_cut():
    paper = Paper(max_participation="0.5", lot=D(1))
    paper.submit("a", "buy", notional=1_000)
    events = paper.bar(100.0, 101.0, 99.0, 100.0, v=4)  # capacity 2 of the 10 asked for
    assert [f.quantity for f in fills(events)] == [2]
    assert "a" in paper.working() or ("canceled", "a") in kinds(events)


def test_the_rest_of_a_cut_notional_order_fills_later_and_the_ledger_follows_it():
    paper = Paper(max_participation="0.5", lot=D(1))
    paper.submit("a", "buy", notional=1_000)
    account = Account(D(100_000))
    account.add_order(paper.placed["a"])
    account.mark_submitted("a", 0)
    (first,) = fills(paper.bar(100.0, 101.0, 99.0, 100.0, v=4))
    assert (first.quantity, first.leaves_qty) == (2, 8)  # sized at 10 lots, 2 fit this bar
    paper.bar(105.0, 106.0, 104.0, 105.0, v=100)  # the 8 lots left fill at the next open
    for event in paper.events:
        account.apply(event)
    tracked = account.orders.get("a")
    assert (tracked.status, tracked.filled_qty, tracked.leaves_qty) == ("filled", 10, 0)
    assert paper.position() == 10 and paper.working() == []


# Buying power -----------------------------------------------------------------------------------


def test_buy_beyond_equity_is_canceled_with_the_amounts():
    paper = Paper(cash=1_000)
    paper.submit("a", "buy", 11)
    events = paper.bar(*UP)
    assert kinds(events) == [("canceled", "a")]
    assert reason(events, "a") == ("insufficient buying power: exposure 1100.00 would exceed "
                                   "1 x equity 1000.00")
    assert paper.sim.account.cash == 1_000


def test_buy_of_exactly_equity_fills():
    paper = Paper(cash=1_000)
    paper.submit("a", "buy", 10)
    assert [f.quantity for f in fills(paper.bar(*UP))] == [10]
    assert paper.sim.account.cash == 0


def test_fees_count_against_buying_power():
    paper = Paper(cash=1_000, taker_fee="0.001")
    paper.submit("a", "buy", 10)  # 1000 + 1 fee > 1000 equity after the fee
    assert kinds(paper.bar(*UP)) == [("canceled", "a")]


def test_leverage_multiplies_buying_power():
    paper = Paper(cash=1_000, leverage=2)
    paper.submit("a", "buy", 20)
    assert [f.quantity for f in fills(paper.bar(*UP))] == [20]
    assert paper.sim.account.cash == -1_000


@pytest.mark.parametrize(("qty", "filled"), [(10, True), (11, False)])
def test_short_sale_is_limited_by_gross_exposure_too(qty, filled):
    paper = Paper(cash=1_000)
    paper.submit("a", "sell", qty)
    paper.bar(*UP)
    assert paper.position() == (-qty if filled else 0)


def test_reducing_fills_are_always_allowed_even_when_equity_has_fallen():
    paper = Paper(cash=1_000, leverage=2)
    paper.submit("a", "buy", 20)
    paper.bar(*FLAT)
    paper.submit("b", "sell", 5)
    events = paper.bar(60.0, 60.0, 60.0, 60.0)  # equity 200, exposure 1200: over, but it reduces
    assert [f.quantity for f in fills(events)] == [5]


def test_buying_power_marks_other_symbols_at_their_last_close():
    paper = Paper(cash=1_000, symbols=("X", "Y"))
    paper.submit("y", "buy", 5, symbol="Y")
    paper.bar(100.0, 100.0, 100.0, 100.0, symbol="Y")  # holds 500 of Y, cash 500
    paper.bar(50.0, 50.0, 50.0, 50.0, symbol="Y")      # Y falls: equity 750
    paper.submit("x", "buy", 3)  # 300 of X + 250 of Y = 550 <= 750
    paper.submit("x2", "buy", 3)  # 600 + 250 = 850 > 750
    events = paper.bar(*FLAT)
    assert [f.client_order_id for f in fills(events)] == ["x"]
    assert reason(events, "x2").startswith("insufficient buying power: exposure 850.00")
