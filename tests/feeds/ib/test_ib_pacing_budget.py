"""IB's historical data pacing rules as a budget (pure): ten minutes, a series, identical requests."""

from __future__ import annotations

import pytest

from tradloopd.feeds.ib_pacing import HistoricalPacing, HistoricalRequest


def request(con_id: int = 1, end: str = "e0", what: str = "TRADES") -> HistoricalRequest:
    return HistoricalRequest(con_id=con_id, exchange="SMART", what_to_show=what, end=end, duration="60 S",
                             bar_size="1 secs", use_rth=False)


def test_sixty_requests_in_ten_minutes_then_wait_for_the_oldest_to_age():
    pacing = HistoricalPacing()
    for i in range(60):
        now = 10.0 * i  # one every ten seconds: never six of a series in two seconds
        assert pacing.delay_s(request(end=f"e{i}"), now) == 0
        pacing.record(request(end=f"e{i}"), now)
    assert pacing.in_window(595.0) == 60
    assert pacing.delay_s(request(end="next"), 595.0) == pytest.approx(5.05)  # the first leaves at 600
    assert pacing.delay_s(request(end="next"), 600.1) == 0


def test_six_of_a_series_in_two_seconds_wait_other_series_do_not():
    pacing = HistoricalPacing()
    for i in range(5):
        pacing.record(request(end=f"e{i}"), 0.1 * i)
    assert pacing.delay_s(request(end="e5"), 0.5) == pytest.approx(1.55)
    assert pacing.delay_s(request(con_id=2, end="e5"), 0.5) == 0
    assert pacing.delay_s(request(end="e5", what="MIDPOINT"), 0.5) == 0


def test_an_identical_request_waits_fifteen_seconds():
    pacing = HistoricalPacing()
    pacing.record(request(), 0.0)
    assert pacing.delay_s(request(), 3.0) == pytest.approx(12.05)
    assert pacing.delay_s(request(end="other"), 3.0) == 0
    assert pacing.delay_s(request(), 15.1) == 0


def test_a_smaller_budget_is_allowed_a_larger_one_is_not():
    pacing = HistoricalPacing(max_requests=2)
    pacing.record(request(end="a"), 0.0)
    pacing.record(request(end="b"), 5.0)
    assert pacing.delay_s(request(end="c"), 10.0) == pytest.approx(590.05)
    with pytest.raises(ValueError, match=r"1\.\.60"):
        HistoricalPacing(max_requests=61)
