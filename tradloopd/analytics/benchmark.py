"""The benchmark a strategy is judged against, and alpha, beta and the information ratio.

The default benchmark is buy and hold of the traded instrument, or an equal-weight basket of
several: each symbol gets the same share of the initial cash at its first known close.
"""

from __future__ import annotations

import math

import numpy as np

from tradloopd.analytics.returns import ZERO_DISPERSION, bar_returns, finite

Stats = dict[str, float | None]


def buy_and_hold(closes: np.ndarray, initial_cash: float) -> np.ndarray:
    """Equity of an equal-weight buy-and-hold basket; `closes` is (bars,) or (bars, symbols).

    A symbol's share waits in cash until its first non-NaN close; later NaNs carry the last
    close forward.
    """
    prices = np.asarray(closes, dtype=np.float64)
    if prices.ndim == 1:
        prices = prices[:, None]
    total = np.zeros(len(prices))
    for col in range(prices.shape[1]):
        total += _growth_of_one(prices[:, col])
    total *= initial_cash / prices.shape[1]
    return total


def _growth_of_one(close: np.ndarray) -> np.ndarray:
    """Close over the first valid close, carried forward; 1.0 before the first valid close."""
    valid = np.isfinite(close) & (close > 0)
    if valid.all():  # the usual case: no gaps to carry over, one array
        return close / close[0]
    out = np.ones(len(close))
    if not valid.any():
        return out
    last_valid = np.maximum.accumulate(np.where(valid, np.arange(len(close)), -1))
    seen = last_valid >= 0
    out[seen] = close[last_valid[seen]] / close[np.argmax(valid)]
    return out


def benchmark_stats(
    r: np.ndarray, benchmark: np.ndarray, total_return: float | None, ppy: float | None
) -> Stats:
    """Benchmark metrics of the strategy's bar returns `r` against a benchmark value series."""
    bench_return = finite(benchmark[-1] / benchmark[0] - 1.0) if len(benchmark) else None
    b = bar_returns(benchmark)[: len(r)]
    r = r[: len(b)]
    excess = None if total_return is None or bench_return is None else total_return - bench_return
    out: Stats = {
        "benchmark_return": bench_return,
        "excess_return": finite(excess),
        "alpha": None,
        "beta": None,
        "information_ratio": None,
        "tracking_error": None,
    }
    if len(r) >= 2 and ppy is not None:
        out.update(_regression(r, b, ppy))
        out.update(_active(r - b, ppy))
    return out


def _regression(r: np.ndarray, b: np.ndarray, ppy: float) -> Stats:
    """Beta = cov(r, b) / var(b); alpha = (mean r - beta * mean b) * ppy."""
    b_dev = b - b.mean()
    var_b = float(np.mean(b_dev**2))
    if math.sqrt(var_b) <= ZERO_DISPERSION:
        return {}
    beta = float(np.mean(b_dev * (r - r.mean()))) / var_b
    return {"beta": finite(beta), "alpha": finite((r.mean() - beta * b.mean()) * ppy)}


def _active(active: np.ndarray, ppy: float) -> Stats:
    """Tracking error and information ratio of the active returns r - b, annualised."""
    std = float(np.std(active, ddof=1))
    tracking = finite(std * math.sqrt(ppy))
    if std <= ZERO_DISPERSION:
        return {"tracking_error": tracking}
    return {
        "tracking_error": tracking,
        "information_ratio": finite(float(active.mean()) / std * math.sqrt(ppy)),
    }
