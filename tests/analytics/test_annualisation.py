"""Periods per year come from the real bar spacing and calendar, not a fixed 252."""

from __future__ import annotations

import numpy as np
import pytest
from analytics_fixtures import load_closes

from tradloopd.analytics.periods import periods_per_year, years_spanned

MINUTE_NS = 60 * 1_000_000_000


def test_regular_five_minute_bars_around_the_clock() -> None:
    ts = np.arange(10_000, dtype=np.int64) * 5 * MINUTE_NS
    assert periods_per_year(ts) == pytest.approx(365.25 * 288)
    assert years_spanned(ts) == pytest.approx(9_999 * 5 / (365.25 * 1440))


def test_no_span_has_no_periods_per_year() -> None:
    assert periods_per_year(np.array([5], dtype=np.int64)) is None
    assert periods_per_year(np.empty(0, dtype=np.int64)) is None
    assert years_spanned(np.array([5], dtype=np.int64)) == 0.0


@pytest.mark.parametrize(
    ("path", "expected", "tolerance"),
    [
        ("crypto/binance_spot_BTCUSDT_5m.csv.gz", 105_192.0, 5.0),  # 24/7, no gaps
        ("crypto/binance_spot_BTCUSDT_1h.csv.gz", 8_766.0, 1.0),
        ("stocks/quandl_wiki_AAPL_1d.csv", 252.0, 2.0),  # weekdays less holidays
        ("stocks/lean_SPY_1d.csv", 252.0, 2.0),
        ("fx/oanda_EURUSD_bid_1d.csv", 311.0, 3.0),  # Sunday-evening bars add ~52 a year
    ],
)
def test_real_calendars(path: str, expected: float, tolerance: float) -> None:
    ts, _ = load_closes(path)
    assert periods_per_year(ts) == pytest.approx(expected, abs=tolerance)
