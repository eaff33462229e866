"""Time in force: IOC and FOK live only at their arrival, GTD and DAY expire on the clock."""

from __future__ import annotations

from venue_builders import MINUTE, D, Paper, fills, kinds, reason

from tradloopd.messages import OrderExpired

UP = (100.0, 104.0, 99.0, 103.0)
FLAT = (100.0, 100.0, 100.0, 100.0)
DAY_NS = 24 * 60 * MINUTE


# IOC / FOK --------------------------------------------------------------------------------------


def test_ioc_limit_not_marketable_at_the_open_is_canceled_even_if_the_bar_reaches_it_later():
    paper = Paper()
    paper.submit("a", "buy", 1, kind="limit", price=99.5, tif="ioc")
    events = paper.bar(*UP)  # 100 -> 99: would have filled a GTC limit
    assert kinds(events) == [("canceled", "a")]
    assert reason(events, "a") == "ioc not filled at arrival"


def test_ioc_marketable_at_the_open_fills():
    paper = Paper()
    paper.submit("a", "buy", 1, kind="limit", price=100.5, tif="ioc")
    assert [f.price for f in fills(paper.bar(*UP))] == [100]


def test_ioc_fills_what_the_participation_cap_allows_and_cancels_the_rest():
    paper = Paper(max_participation="0.1")
    paper.submit("a", "buy", 5, tif="ioc")
    events = paper.bar(*UP, v=20)
    assert kinds(events) == [("filled", "a"), ("canceled", "a")]
    assert fills(events)[0].quantity == 2
    assert paper.working() == []


def test_fok_that_cannot_fill_entirely_is_canceled_without_any_fill():
    paper = Paper(max_participation="0.1")
    paper.submit("a", "buy", 5, tif="fok")
    events = paper.bar(*UP, v=20)
    assert kinds(events) == [("canceled", "a")]
    assert reason(events, "a") == "FOK: only 2 of 5 available within the participation cap"
    assert paper.position() == 0


def test_fok_that_can_fill_entirely_fills():
    paper = Paper(max_participation="0.1")
    paper.submit("a", "buy", 2, tif="fok")
    assert [f.quantity for f in fills(paper.bar(*UP, v=20))] == [2]


def test_fok_stop_not_triggered_at_the_open_is_canceled():
    paper = Paper()
    paper.submit("a", "buy", 1, kind="stop", trigger_price=102, tif="fok")
    assert kinds(paper.bar(*UP)) == [("canceled", "a")]


def test_reduce_only_fok_larger_than_the_position_fills_all_or_nothing():
    paper = Paper()
    paper.submit("entry", "buy", 1)
    paper.bar(*FLAT)
    paper.submit("a", "sell", 3, tif="fok", reduce_only=True)
    events = paper.bar(*FLAT)
    assert fills(paper.events, "a") == []
    assert reason(events, "a") == "FOK: only 1 of 3 can fill reduce-only (the position)"


# GTD --------------------------------------------------------------------------------------------


def test_gtd_order_expires_at_the_first_bar_opening_at_or_after_its_expiry():
    paper = Paper()
    paper.submit("a", "buy", 1, kind="limit", price=95, tif="gtd", expire_ts=2 * MINUTE)
    assert paper.bar(*UP) == []  # bar [0, 1 min): live, not reached
    assert paper.bar(*UP) == []  # bar [1, 2 min): live, not reached
    events = paper.bar(94.0, 96.0, 90.0, 95.0)  # opens at 2 min: expired before it is matched
    assert events == [OrderExpired(client_order_id="a", ts_event=2 * MINUTE)]
    assert fills(paper.events) == []
    assert paper.working() == []


def test_gtd_order_fills_normally_before_its_expiry():
    paper = Paper()
    paper.submit("a", "buy", 1, kind="limit", price=99.5, tif="gtd", expire_ts=2 * MINUTE)
    assert [f.price for f in fills(paper.bar(*UP))] == [D("99.5")]


def test_gtd_order_is_live_for_the_whole_bar_its_expiry_falls_inside():
    # documented behaviour: bars are indivisible, a bar that opened before the expiry matches it
    paper = Paper()
    paper.submit("a", "buy", 1, kind="limit", price=99.5, tif="gtd", expire_ts=MINUTE // 2)
    assert [f.price for f in fills(paper.bar(*UP))] == [D("99.5")]


def test_expired_order_cannot_be_canceled_or_fill_afterwards():
    paper = Paper()
    paper.submit("a", "buy", 1, tif="gtd", expire_ts=0)
    assert kinds(paper.bar(*UP)) == [("expired", "a")]
    assert paper.cancel("a") == []
    paper.bar(*UP)
    assert fills(paper.events) == []


# DAY ---------------------------------------------------------------------------------------------


def test_day_order_expires_at_the_next_utc_midnight_after_it_was_placed():
    paper = Paper()
    paper.minute = 600  # 10:00 UTC on the first day
    paper.submit("a", "buy", 1, kind="limit", price=90, tif="day")
    paper.minute = 24 * 60 - 1  # the last minute bar of the day still sees it
    assert paper.bar(*UP) == []
    assert paper.working() == ["a"]
    events = paper.bar(*UP)  # opens at midnight
    assert events == [OrderExpired(client_order_id="a", ts_event=DAY_NS)]


def test_day_order_placed_exactly_at_midnight_lives_that_whole_day():
    paper = Paper()
    paper.minute = 24 * 60
    paper.submit("a", "buy", 1, kind="limit", price=90, tif="day")
    paper.minute = 2 * 24 * 60 - 1
    assert paper.bar(*UP) == []
    assert kinds(paper.bar(*UP)) == [("expired", "a")]
