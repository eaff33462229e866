"""Shared test data for indicator tests: real market files and synthetic decimal-grid bars."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"

REAL_FILES = (
    "crypto/binance_spot_BTCUSDT_1h.csv.gz",
    "fx/oanda_EURUSD_bid_1h.csv.gz",
    "stocks/quandl_wiki_AAPL_1d.csv",
    "crypto/binance_FILUSDT_1m.csv.gz",
)

Bars = dict[str, np.ndarray]


@functools.cache
def _load(name: str, rows: int) -> tuple[tuple[str, np.ndarray], ...]:
    import pandas as pd

    df = pd.read_csv(DATA_DIR / name, nrows=rows)
    ts = pd.to_datetime(df["timestamp"], utc=True).astype("int64").to_numpy()
    cols = {k: df[k].to_numpy(dtype=np.float64) for k in ("open", "high", "low", "close", "volume")}
    return (("ts", ts), *cols.items())


def real_bars(name: str, rows: int = 20_000) -> Bars:
    """OHLCV arrays (and "ts", int64 ns) of a file in shared/data; skips if it is absent."""
    if not (DATA_DIR / name).exists():
        pytest.skip(f"real market data not found: {DATA_DIR / name} (shared/data is absent)")
    return dict(_load(name, rows))


def synthetic_bars(n: int = 3000, seed: int = 7, decimals: int | None = 2) -> Bars:
    """A random-walk OHLCV series; rounded to `decimals` (None: off any decimal grid)."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.r_[close[0], close[:-1]] * (1 + rng.normal(0, 0.002, n))
    high = np.maximum(open_, close) * (1 + rng.exponential(0.004, n))
    low = np.minimum(open_, close) * (1 - rng.exponential(0.004, n))
    volume = rng.exponential(50.0, n)
    bars = {"open": open_, "high": high, "low": low, "close": close, "volume": volume}
    if decimals is not None:
        bars = {k: np.round(v, decimals if k != "volume" else 3) for k, v in bars.items()}
    start = 1_700_000_000 * 10**9
    bars["ts"] = start + np.arange(n, dtype=np.int64) * 3_600 * 10**9
    return bars


def assert_close(ours: np.ndarray, ref: np.ndarray, rtol: float = 1e-9) -> None:
    """Same warm-up (NaN positions) and values within `rtol` of the reference.

    The absolute floor is rtol times the largest reference magnitude, so oscillators that
    cross zero are compared on their own scale.
    """
    ours, ref = np.asarray(ours, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    assert ours.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref), err_msg="warm-up differs")
    valid = ~np.isnan(ref)
    assert valid.any(), "reference has no valid values"
    scale = float(np.max(np.abs(ref[valid])))
    np.testing.assert_allclose(ours[valid], ref[valid], rtol=rtol, atol=rtol * scale)


DATASETS = [*(name for name in REAL_FILES), "synthetic", "offgrid"]


@pytest.fixture(params=DATASETS, ids=lambda name: name.split("/")[-1].split(".")[0])
def dataset(request: pytest.FixtureRequest) -> Bars:
    """Every real file plus a decimal-grid and an off-grid synthetic series."""
    if request.param == "synthetic":
        return synthetic_bars()
    if request.param == "offgrid":
        return synthetic_bars(decimals=None, seed=11)
    return real_bars(request.param)


@pytest.fixture
def check_close() -> Callable[..., None]:
    """The `assert_close` helper."""
    return assert_close


@pytest.fixture
def make_bars() -> Callable[..., Bars]:
    """The `synthetic_bars` factory."""
    return synthetic_bars


@pytest.fixture
def load_real() -> Callable[..., Bars]:
    """The `real_bars` loader (skips when shared/data is absent)."""
    return real_bars
