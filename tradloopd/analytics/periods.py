"""Annualisation from the real bar spacing: periods per year measured from the timestamps.

A year is 365.25 days. With n marks spanning T years there are n - 1 returns, so
periods per year = (n - 1) / T: about 105,190 for 24/7 5-minute crypto bars, 252 for US daily
stocks (weekends and holidays are simply absent) and about 310 for EUR/USD daily bars with
their Sunday-evening bars. Short spans give noisy estimates; callers may pass an override.
"""

from __future__ import annotations

import numpy as np

NS_PER_SECOND = 1_000_000_000
NS_PER_YEAR = int(365.25 * 24 * 3600) * NS_PER_SECOND


def years_spanned(ts: np.ndarray) -> float:
    """Years between the first and the last timestamp (0.0 for fewer than two)."""
    if len(ts) < 2:
        return 0.0
    return float(int(ts[-1]) - int(ts[0])) / NS_PER_YEAR


def periods_per_year(ts: np.ndarray) -> float | None:
    """Return observations per year implied by `ts`; None when they span no time."""
    years = years_spanned(ts)
    if years <= 0:
        return None
    return (len(ts) - 1) / years
