"""Streaming and batch forms agree on random bars, through the engine's spec API."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradloopd.indicators import REGISTRY, IndicatorError, Stream, compute, ind
from tradloopd.indicators.grid import decimals

# Small periods so random series of tens of bars get past the warm-up.
SMALL: dict[str, dict[str, object]] = {
    "hv": {"period": 3},
    "keltner": {"period": 4, "atr_period": 3},
    "hma": {"period": 5},
    "macd": {"fast": 3, "slow": 5, "signal": 3},
    "ao": {"fast": 2, "slow": 5},
    "adosc": {"fast": 2, "slow": 4},
    "tsi": {"long": 5, "short": 3, "signal": 3},
    "ultosc": {"short": 2, "medium": 3, "long": 5},
    "ichimoku": {"tenkan": 2, "kijun": 3, "senkou": 5, "displacement": 3},
    "kama": {"period": 4, "fast": 2, "slow": 10},
    "stochrsi": {"period": 3, "k_period": 3, "k_smooth": 2, "d_period": 2},
    "vwap": {"anchor": "session"},
    "pivots": {"method": "camarilla"},
}
START_TS = 1_700_000_000 * 10**9


def _params(name: str) -> dict[str, object]:
    if name in SMALL:
        return SMALL[name]
    return {k: 4 for k, v in REGISTRY[name].defaults.items() if isinstance(v, int)}


@st.composite
def bar_series(draw: st.DrawFn) -> dict[str, np.ndarray]:
    n = draw(st.integers(1, 70))
    decimals = draw(st.sampled_from([0, 2, 5, None]))
    ints = st.lists(st.integers(-300, 300), min_size=n, max_size=n)
    spreads = st.lists(st.integers(0, 200), min_size=n, max_size=n)
    close = 100_000 + np.cumsum(draw(ints))
    high = close + np.array(draw(spreads))
    low = close - np.array(draw(spreads))
    open_ = np.clip(close + np.array(draw(ints)) // 3, low, high)
    volume = np.array(draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n)))
    scale = 10.0 ** (decimals or 0)
    factor = 1.0 if decimals is not None else 1.000_000_123_456_7
    bars = {
        k: v * factor / scale
        for k, v in zip(("open", "high", "low", "close"), (open_, high, low, close), strict=True)
    }
    bars["volume"] = volume / 1000.0
    gaps = np.array(draw(st.lists(st.sampled_from([1, 1, 1, 2, 30]), min_size=n, max_size=n)))
    bars["ts"] = START_TS + np.cumsum(gaps) * 3_600 * 10**9
    return bars


def _source_values(bars: dict[str, np.ndarray], source: str) -> np.ndarray:
    if source == "hlc3":
        return (bars["high"] + bars["low"] + bars["close"]) / 3.0
    return bars[source]


def _stream(spec: object, bars: dict[str, np.ndarray]) -> list[dict[str, float]]:
    s = Stream(spec)  # type: ignore[arg-type]
    cols = [bars[k].tolist() for k in ("ts", "open", "high", "low", "close", "volume")]
    return [s.update(*row) for row in zip(*cols, strict=True)]


@pytest.mark.parametrize("name", sorted(REGISTRY))
@settings(max_examples=15, deadline=None)
@given(bars=bar_series(), source=st.sampled_from(["close", "hlc3", "open"]))
def test_stream_matches_batch(name: str, bars: dict[str, np.ndarray], source: str) -> None:
    entry = REGISTRY[name]
    src = source if "source" in entry.inputs else "close"
    spec = ind(name, source=src, **_params(name))  # type: ignore[arg-type]
    rows = _stream(spec, bars)
    try:
        batch = compute(spec, bars, bars["ts"])
    except IndicatorError as exc:
        assert "longer than the data" in str(exc)
        return
    for key, values in batch.items():
        live = np.array([row[key] for row in rows])
        np.testing.assert_array_equal(np.isnan(live), np.isnan(values), err_msg=key)
        ok = ~np.isnan(values)
        on_grid = decimals(_source_values(bars, src)) is not None
        if name == "sma" and on_grid:
            np.testing.assert_array_equal(live[ok], values[ok])
            continue
        # Off a decimal grid both forms use float running sums that start at different
        # bars; ratios over a window's spread (z-score, %B) then amplify rounding.
        rtol = 1e-12 if on_grid else 1e-9
        scale = float(np.max(np.abs(values[ok]), initial=0.0))
        np.testing.assert_allclose(live[ok], values[ok], rtol=rtol, atol=rtol * scale, err_msg=key)
