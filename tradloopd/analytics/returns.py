"""Bar returns of an equity curve and the return-based performance ratios built on them.

Every function takes simple bar returns r_i = E_i / E_(i-1) - 1 and returns None, never NaN or
infinity, when the statistic is undefined (too few returns, zero dispersion, no losses).
"""

from __future__ import annotations

import math

import numpy as np

ZERO_DISPERSION = 1e-12
"""A standard deviation of bar returns at or below this is treated as exactly zero."""


def bar_returns(equity: np.ndarray) -> np.ndarray:
    """Simple returns between consecutive marks, stopping at ruin (the first mark <= 0).

    The return into a ruined mark is clipped to -100%; nothing after it is a return.
    """
    equity = np.asarray(equity, dtype=np.float64)
    ruined = np.flatnonzero(equity <= 0)
    if len(ruined):
        equity = equity[: ruined[0] + 1]
    if len(equity) < 2 or equity[0] <= 0:
        return np.empty(0)
    return np.maximum(equity[1:] / equity[:-1] - 1.0, -1.0)


def cagr(total_return: float | None, years: float) -> float | None:
    """Compound annual growth rate; -100% after ruin, None when no time has passed."""
    if total_return is None or years <= 0:
        return None
    growth = 1.0 + total_return
    if growth <= 0:
        return -1.0
    return finite(growth ** (1.0 / years) - 1.0)


def volatility(r: np.ndarray, ppy: float | None) -> float | None:
    """Annualised standard deviation of bar returns (sample, ddof=1)."""
    if ppy is None or len(r) < 2:
        return None
    return finite(float(np.std(r, ddof=1)) * math.sqrt(ppy))


def sharpe(r: np.ndarray, ppy: float | None) -> float | None:
    """Annualised Sharpe ratio with a zero risk-free rate: mean / std * sqrt(ppy)."""
    if ppy is None or len(r) < 2:
        return None
    std = float(np.std(r, ddof=1))
    if std <= ZERO_DISPERSION:
        return None
    return finite(float(np.mean(r)) / std * math.sqrt(ppy))


def downside_deviation(r: np.ndarray) -> float:
    """Root mean square of the negative part of the returns, over all returns."""
    return math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))


def sortino(r: np.ndarray, ppy: float | None) -> float | None:
    """Annualised Sortino ratio: mean / downside deviation * sqrt(ppy), target 0."""
    if ppy is None or len(r) < 2:
        return None
    down = downside_deviation(r)
    if down <= ZERO_DISPERSION:
        return None
    return finite(float(np.mean(r)) / down * math.sqrt(ppy))


def omega(r: np.ndarray) -> float | None:
    """Omega ratio at a zero threshold: sum of gains / sum of losses."""
    losses = -float(np.sum(r[r < 0]))
    if losses <= 0:
        return None
    return finite(float(np.sum(r[r > 0])) / losses)


def calmar(cagr_value: float | None, max_drawdown: float | None) -> float | None:
    """CAGR divided by the depth of the maximum drawdown."""
    if cagr_value is None or not max_drawdown:
        return None
    return finite(cagr_value / abs(max_drawdown))


def finite(value: float | None) -> float | None:
    """The value as a plain float, or None when it is missing, NaN or infinite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
