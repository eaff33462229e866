"""Venue-level kinds of the catalogue: market/limit-if-touched, trailing stops, DAY at the session end."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

import pytest
from venue_builders import MINUTE, D, Paper, fill_prices, fills, kinds, order

from tradloopd.account import Account
from tradloopd.messages import OrderModified, OrderRejected, Trail
from tradloopd.model import Instrument
from tradloopd.orders.sessions import session_end


def trail(**fields: object) -> Trail:
    return Trail(**{k: D(v) for k, v in fields.items()})  # type: ignore[arg-type]


def modified(events: list) -> list[tuple[Decimal | None, Decimal | None, bool]]:
    return [(e.trigger_price, e.price, e.activated) for e in events if isinstance(e, OrderModified)]


# If-touched -------------------------------------------------------------------------------------


def test_market_if_touched_buy_triggers_as_the_price_falls_to_it_and_fills_there():
    paper = Paper(slippage_bps=10)
    paper.submit("m", "buy", 1, kind="stop", trigger_price=98, if_touched=True)
    events = paper.bar(100.0, 101.0, 97.0, 99.0)  # up to 101 first, then down through 98
    assert kinds(events) == [("filled", "m")]
    assert fill_prices(events) == [D("98.10")]  # a market order from 98: taker, slipped 10 bps


def test_market_if_touched_is_not_a_stop_the_price_must_come_down_to_a_buy():
    paper = Paper()
    paper.submit("m", "buy", 1, kind="stop", trigger_price=98, if_touched=True)
    assert paper.bar(100.0, 102.0, 99.0, 101.0) == []  # a buy stop at 98 would have filled at 100
    assert paper.working() == ["m"]
    sell = Paper()
    sell.submit("m", "sell", 1, kind="stop", trigger_price=103, if_touched=True)
    assert fill_prices(sell.bar(100.0, 104.0, 99.5, 103.5)) == [D(103)]


def test_market_if_touched_gapped_through_fills_at_the_better_open():
    paper = Paper()
    paper.submit("m", "buy", 1, kind="stop", trigger_price=98, if_touched=True)
    assert fill_prices(paper.bar(95.0, 96.0, 94.0, 95.5)) == [D(95)]


def test_limit_if_touched_fills_at_the_trigger_when_its_limit_allows_it():
    paper = Paper()
    paper.submit("l", "buy", 1, kind="stop_limit", trigger_price=98, price="98.5", if_touched=True)
    events = paper.bar(100.0, 101.0, 97.0, 99.0)
    assert kinds(events) == [("triggered", "l"), ("filled", "l")]
    assert fill_prices(events) == [D(98)] and fills(events)[0].liquidity == "taker"


def test_limit_if_touched_with_a_lower_limit_rests_after_the_trigger_and_fills_as_maker():
    paper = Paper()
    paper.submit("l", "buy", 1, kind="stop_limit", trigger_price=98, price="97.5", if_touched=True)
    events = paper.bar(100.0, 100.5, 97.8, 98.0)  # reaches 98, never 97.5
    assert kinds(events) == [("triggered", "l")]
    events = paper.bar(98.0, 98.2, 97.0, 97.2)
    assert fill_prices(events) == [D("97.5")] and fills(events)[0].liquidity == "maker"


# Trailing stops ---------------------------------------------------------------------------------


def test_trailing_sell_stop_follows_the_high_by_its_amount_and_sells_on_the_way_down():
    paper = Paper()
    paper.submit("t", "sell", 1, kind="stop", trail=trail(amount=2))
    # down first (the low is nearer): 100 -> 99.5 -> 104 -> 103; the stop rises to 102
    first = paper.bar(100.0, 104.0, 99.5, 103.0)
    assert modified(first) == [(D(102), None, False)]
    # up first: 103 -> 103.5 (stop stays 102, as 103.5 - 2 < 102) -> 101 reaches 102
    second = paper.bar(103.0, 103.5, 101.0, 101.5)
    assert kinds(second) == [("filled", "t")] and fill_prices(second) == [D(102)]


def test_trailing_stop_starts_from_its_trigger_and_never_moves_away_from_the_market():
    paper = Paper()
    paper.submit("t", "sell", 1, kind="stop", trigger_price=99, trail=trail(amount=3))
    events = paper.bar(100.0, 101.0, 99.5, 100.5)  # 101 - 3 = 98 < 99: the stop stays at 99
    assert modified(events) == [] and paper.working() == ["t"]
    events = paper.bar(100.5, 103.0, 100.5, 102.0)  # 103 - 3 = 100
    assert modified(events) == [(D(100), None, False)]


def test_trailing_buy_stop_by_percent_follows_the_low_rounded_up_to_the_tick():
    paper = Paper()
    paper.submit("t", "buy", 1, kind="stop", trail=trail(percent="1.5"))
    events = paper.bar(100.0, 100.2, 97.33, 97.5)  # up first; then the low: 97.33 x 1.015 = 98.78995
    assert modified(events) == [(D("98.79"), None, False)]
    events = paper.bar(97.5, 99.0, 97.4, 98.9)  # down first to 97.4 (stop stays: 98.861 > 98.79), up
    assert fill_prices(events) == [D("98.79")]


def test_trailing_stop_gapped_through_fills_at_the_open():
    paper = Paper()
    paper.submit("t", "sell", 1, kind="stop", trail=trail(amount=2))
    paper.bar(100.0, 105.0, 100.0, 104.0)  # the stop rises to 103
    assert fill_prices(paper.bar(99.0, 99.5, 98.0, 98.5)) == [D(99)]


def test_trailing_stop_waits_for_its_activation_price():
    paper = Paper()
    paper.submit("t", "sell", 1, kind="stop", trail=trail(amount=2, activation=105))
    events = paper.bar(100.0, 104.5, 95.0, 96.0)  # never reaches 105: neither follows nor triggers
    assert events == []
    events = paper.bar(96.0, 106.0, 95.5, 103.0)  # down first to 95.5, up to 106: active, stop 104
    assert modified(events)[0] == (D(104), None, True)
    assert fill_prices(events) == [D(104)]  # ... and the fall to 103 sells at 104


def test_trailing_stop_limit_keeps_its_limit_at_the_same_distance():
    paper = Paper()
    paper.submit("t", "sell", 1, kind="stop_limit", trigger_price=98, price="97.5", trail=trail(amount=2))
    events = paper.bar(100.0, 101.0, 99.5, 100.8)  # down first: 99.5, then 101: stop 99, limit 98.5
    assert modified(events) == [(D(99), D("98.5"), False)]
    events = paper.bar(100.8, 100.9, 97.0, 97.2)  # triggers at 99; the limit 98.5 is passed on the way
    assert kinds(events) == [("triggered", "t"), ("filled", "t")]
    assert fill_prices(events) == [D(99)]


def test_a_trailing_trigger_restored_from_the_journal_continues_where_it_was():
    paper = Paper()
    placed = order("t", "sell", 1, kind="stop", trail=trail(amount=2, activation=103))
    account = Account(D(100_000))
    account.add_order(placed)
    account.mark_submitted("t", 0)
    for event in paper.submit(placed) + paper.bar(100.0, 104.0, 99.5, 103.5):
        account.apply(event)
    assert account.orders.get("t").order.trigger_price == D(102)
    assert account.orders.get("t").order.trail.activation is None  # activated: follows from now on
    again = Paper()
    again.sim.restore(list(account.orders), list(account.fills))
    assert fill_prices(again.bar(103.5, 103.5, 101.0, 101.5)) == [D(102)]


def test_trailing_orders_are_checked_at_submit():
    paper = Paper()
    cases = [
        ({"kind": "limit", "price": 99, "trail": trail(amount=1)}, "stop and stop-limit orders only"),
        ({"kind": "stop", "trail": Trail(amount=D(1), percent=D(1))}, "exactly one of amount and percent"),
        ({"kind": "stop", "trail": trail(amount="0.015")}, "trail amount 0.015 is not a multiple"),
        ({"kind": "stop", "trail": trail(percent=100)}, "below 100"),
        ({"kind": "stop_limit", "price": 99, "trail": trail(amount=1)}, "needs a trigger price"),
        ({"kind": "limit", "price": 99, "if_touched": True}, "if-touched applies to stop"),
    ]
    for i, (fields, words) in enumerate(cases):
        [rejected] = paper.submit(f"r{i}", "sell", 1, **fields)
        assert isinstance(rejected, OrderRejected) and words in rejected.reason


# DAY at the session close -----------------------------------------------------------------------


def ns(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp()) * 1_000_000_000


@pytest.mark.parametrize(("placed", "ends"), [
    ("2024-03-08T15:00:00+00:00", "2024-03-08T21:00:00+00:00"),  # 10:00 in New York: 16:00 EST
    ("2024-03-08T21:00:00+00:00", "2024-03-09T21:00:00+00:00"),  # placed at the close: the next one
    ("2024-03-10T15:00:00+00:00", "2024-03-10T20:00:00+00:00"),  # after the clocks moved: 16:00 EDT
])
def test_a_day_order_ends_at_the_instruments_session_close_in_its_time_zone(placed, ends):
    nyse = Instrument(symbol="AAPL", session_close=time(16), timezone="America/New_York")
    assert session_end(ns(placed), nyse) == ns(ends)


def test_the_default_session_ends_at_utc_midnight():
    assert session_end(ns("2024-03-08T15:00:00+00:00"), Instrument(symbol="BTC")) == \
        ns("2024-03-09T00:00:00+00:00")
    midnight = ns("2024-03-09T00:00:00+00:00")
    assert session_end(midnight, Instrument(symbol="BTC")) == midnight + 86_400 * 10**9


def test_a_day_order_expires_at_the_first_bar_opening_at_its_session_close():
    paper = Paper(instruments=[Instrument(symbol="X", price_increment=D("0.01"), session_close=time(0, 3))])
    paper.submit("d", "buy", 1, kind="limit", price=90, tif="day")  # placed at 00:00, UTC
    assert paper.bar(100.0, 100.0, 99.0, 99.0) == []
    paper.bar(99.0, 99.0, 98.0, 98.0)
    paper.bar(98.0, 98.0, 97.0, 97.0)
    assert paper.now == 3 * MINUTE
    assert kinds(paper.bar(97.0, 97.0, 89.0, 89.0)) == [("expired", "d")]
