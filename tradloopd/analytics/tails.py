"""Tail risk and the shape of the bar-return distribution: VaR, CVaR, skew, kurtosis, tail ratio.

VaR and CVaR are per-bar returns, reported with their sign (a loss is negative), not annualised.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from tradloopd.analytics.returns import ZERO_DISPERSION, finite

_NORMAL = NormalDist()


def var_historical(r: np.ndarray, level: float) -> float | None:
    """The (1 - level) quantile of the returns, linearly interpolated."""
    if len(r) == 0:
        return None
    return finite(np.percentile(r, 100.0 * (1.0 - level)))


def cvar_historical(r: np.ndarray, level: float) -> float | None:
    """Mean of the returns at or below the historical VaR (expected shortfall)."""
    var = var_historical(r, level)
    if var is None:
        return None
    return finite(np.mean(r[r <= var]))


def var_parametric(r: np.ndarray, level: float) -> float | None:
    """Normal VaR: mean + z(1 - level) * std (ddof=1)."""
    if len(r) < 2:
        return None
    mean, std = float(np.mean(r)), float(np.std(r, ddof=1))
    return finite(mean + _NORMAL.inv_cdf(1.0 - level) * std)


def cvar_parametric(r: np.ndarray, level: float) -> float | None:
    """Normal expected shortfall: mean - std * pdf(z) / (1 - level)."""
    if len(r) < 2:
        return None
    mean, std = float(np.mean(r)), float(np.std(r, ddof=1))
    alpha = 1.0 - level
    return finite(mean - std * _NORMAL.pdf(_NORMAL.inv_cdf(alpha)) / alpha)


def _central_moments(r: np.ndarray) -> tuple[float, float, float] | None:
    deviations = r - np.mean(r)
    m2 = float(np.mean(deviations * deviations))
    if math.sqrt(m2) <= ZERO_DISPERSION:
        return None
    squared = deviations * deviations  # products, not **: float powers are ~10x slower
    return m2, float(np.mean(squared * deviations)), float(np.mean(squared * squared))


def skew(r: np.ndarray) -> float | None:
    """Sample skewness, adjusted Fisher-Pearson (as pandas and Excel); needs 3 returns."""
    n = len(r)
    moments = _central_moments(r) if n >= 3 else None
    if moments is None:
        return None
    m2, m3, _ = moments
    return finite(m3 / m2**1.5 * math.sqrt(n * (n - 1)) / (n - 2))


def kurtosis(r: np.ndarray) -> float | None:
    """Sample excess kurtosis, bias-corrected (as pandas and Excel); needs 4 returns."""
    n = len(r)
    moments = _central_moments(r) if n >= 4 else None
    if moments is None:
        return None
    m2, _, m4 = moments
    g2 = m4 / m2**2 - 3.0
    return finite(((n + 1) * g2 + 6.0) * (n - 1) / ((n - 2) * (n - 3)))


def tail_ratio(r: np.ndarray) -> float | None:
    """|95th percentile| / |5th percentile| of the returns."""
    if len(r) == 0:
        return None
    left = abs(float(np.percentile(r, 5)))
    if left <= 0:
        return None
    return finite(abs(float(np.percentile(r, 95))) / left)
