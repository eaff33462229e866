"""What a fill costs: maker and taker fees, slippage rounded against the taker, notional sizing."""

from __future__ import annotations

import pytest
from venue_builders import D, Paper, fills, kinds, reason

from tradloopd.model import Liquidity

UP = (100.0, 104.0, 99.0, 103.0)


# Fees -----------------------------------------------------------------------------------------


def test_taker_fee_is_charged_on_the_fill_notional_and_leaves_cash_exactly():
    paper = Paper(cash=10_000, maker_fee="0.0002", taker_fee="0.001")
    paper.submit("a", "buy", 3)
    (fill,) = fills(paper.bar(*UP))
    assert fill.fee == D("0.300")  # 3 x 100 x 0.001
    assert paper.sim.account.cash == D(10_000) - D(300) - D("0.3")
    assert paper.sim.account.fees_paid == D("0.3")


def test_resting_limit_pays_the_maker_fee_and_no_slippage():
    paper = Paper(maker_fee="0.0002", taker_fee="0.001", slippage_bps=50)
    paper.submit("a", "buy", 2, kind="limit", price=99.5)
    (fill,) = fills(paper.bar(*UP))
    assert (fill.price, fill.liquidity, fill.fee) == (D("99.5"), Liquidity.MAKER, D("0.0398"))


def test_limit_marketable_on_arrival_pays_taker_fee_and_slippage_capped_at_its_limit():
    paper = Paper(maker_fee="0.0002", taker_fee="0.001", slippage_bps=50)
    paper.submit("a", "buy", 1, kind="limit", price=100.2)  # open 100 + 50 bps = 100.5 > limit
    (fill,) = fills(paper.bar(*UP))
    assert (fill.price, fill.liquidity) == (D("100.2"), Liquidity.TAKER)
    assert fill.fee == D("100.2") * D("0.001")


def test_marketable_limit_within_its_limit_gets_the_slipped_price():
    paper = Paper(slippage_bps=10)
    paper.submit("a", "sell", 1, kind="limit", price=99)
    (fill,) = fills(paper.bar(*UP))
    assert fill.price == D("99.90")  # 100 - 10 bps, still better than the 99 limit


def test_no_fee_configured_means_zero_fee():
    paper = Paper()
    paper.submit("a", "buy", 1)
    (fill,) = fills(paper.bar(*UP))
    assert fill.fee == 0


# Slippage -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("side", "bps", "price"), [
    ("buy", "3", "100.03"),    # exactly on the tick
    ("buy", "2.5", "100.03"),  # 100.025 rounds up: a buyer pays more
    ("sell", "2.5", "99.97"),  # 99.975 rounds down: a seller receives less
    ("buy", "0.1", "100.01"),  # 100.001: even a sliver of slippage costs a whole tick
    ("sell", "0.1", "99.99"),
])
def test_slippage_is_rounded_to_the_tick_against_the_taker(side, bps, price):
    paper = Paper(slippage_bps=bps)
    paper.submit("a", side, 1)
    (fill,) = fills(paper.bar(*UP))
    assert fill.price == D(price)


def test_stop_fill_slips_from_its_trigger():
    paper = Paper(slippage_bps="2.5")
    paper.submit("a", "buy", 1, kind="stop", trigger_price=102)
    (fill,) = fills(paper.bar(*UP))
    assert fill.price == D("102.03")  # 102 x 1.00025 = 102.0255, rounded up


def test_slippage_without_a_tick_is_exact():
    paper = Paper(slippage_bps="2.5", tick=D(0))
    paper.submit("a", "buy", 1)
    (fill,) = fills(paper.bar(*UP))
    assert fill.price == D("100.025")


# Notional sizing -------------------------------------------------------------------------------


def test_notional_buy_spends_at_most_the_amount_including_the_fee():
    paper = Paper(cash=5_000, taker_fee="0.001", lot=D("0.001"))
    paper.submit("a", "buy", notional=1_000)
    (fill,) = fills(paper.bar(*UP))
    assert fill.quantity == D("9.990")  # 1000 / (100 x 1.001) = 9.99000999 -> down to the lot
    spent = fill.quantity * fill.price + fill.fee
    assert spent <= 1_000
    assert 1_000 - spent < D("0.001") * 100 * D("1.001")  # less than one more lot would cost


def test_notional_buy_is_sized_at_the_slipped_price():
    paper = Paper(slippage_bps=100, lot=D(1))
    paper.submit("a", "buy", notional=1_000)
    (fill,) = fills(paper.bar(*UP))
    assert (fill.price, fill.quantity) == (D(101), D(9))  # 1000 / 101 = 9.9 -> 9 whole lots


def test_notional_too_small_for_one_lot_is_canceled_with_the_reason():
    paper = Paper(lot=D(1))
    paper.submit("a", "buy", notional=50)
    events = paper.bar(*UP)
    assert kinds(events) == [("canceled", "a")]
    assert reason(events, "a") == "notional 50 buys less than one lot at 100.0"


def test_notional_buy_below_the_minimum_size_does_not_fill():
    paper = Paper(lot=D("0.001"), min_size=D(1))
    paper.submit("a", "buy", notional=50)
    events = paper.bar(*UP)
    assert fills(paper.events) == []
    assert reason(events, "a") == "notional 50 buys 0.5 at 100.0, below the minimum size 1"
