"""SMA is the correctly rounded mean on decimal-grid prices, so equal means compare equal."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tradloopd.indicators import SMA, sma
from tradloopd.indicators.grid import decimals


def _exact_sums(q: np.ndarray, p: int) -> list[int]:
    total, out = sum(int(v) for v in q[:p]), []
    out.append(total)
    for new, old in zip(q[p:].tolist(), q[:-p].tolist(), strict=True):
        total += int(new) - int(old)
        out.append(total)
    return out


def test_equal_means_on_real_eurusd_compare_equal(load_real: Callable[..., dict]) -> None:
    close = load_real("fx/oanda_EURUSD_bid_1h.csv.gz", rows=74_439)["close"]
    q = np.rint(close * 1e5).astype(np.int64)
    fast, slow = sma(close, 10), sma(close, 30)
    s10, s30 = _exact_sums(q, 10)[20:], _exact_sums(q, 30)
    exact_cmp = np.sign(np.array([3 * a - b for a, b in zip(s10, s30, strict=True)]))
    ours_cmp = np.sign(fast[29:] - slow[29:])
    assert (exact_cmp == 0).sum() > 0, "the file should hold bars where the two means are equal"
    np.testing.assert_array_equal(ours_cmp, exact_cmp)


def test_streaming_sma_is_bit_identical_on_real_data(load_real: Callable[..., dict]) -> None:
    close = load_real("crypto/binance_spot_BTCUSDT_1h.csv.gz", rows=5_000)["close"]
    s = SMA(20)
    live = np.array([s.update(x) for x in close.tolist()])
    np.testing.assert_array_equal(live, sma(close, 20))


@settings(max_examples=60, deadline=None)
@given(
    ints=st.lists(st.integers(-(10**9), 10**9), min_size=1, max_size=60),
    d=st.integers(0, 9),
    p=st.integers(1, 12),
)
def test_sma_is_correctly_rounded_on_any_grid(ints: list[int], d: int, p: int) -> None:
    x = np.array(ints, dtype=np.float64) / 10.0**d
    if p > len(x):
        return
    q = np.rint(x * 10.0 ** (decimals(x) or 0)).astype(np.int64)
    scale = 10 ** (decimals(x) or 0)
    expected = [float(Fraction(s, p * scale)) for s in _exact_sums(q, p)]
    ours = sma(x, p)[p - 1 :]
    if max(abs(v) for v in ints) * p < 2**53 // 10:
        np.testing.assert_array_equal(ours, expected)
    else:
        np.testing.assert_allclose(ours, expected, rtol=1e-15)


def test_off_grid_input_falls_back_to_float_sums() -> None:
    rng = np.random.default_rng(3)
    x = 100.0 + rng.normal(0.0, 1.0, 500) * np.pi
    assert decimals(x) is None
    ref = np.array([np.mean(x[i - 9 : i + 1]) for i in range(9, len(x))])
    np.testing.assert_allclose(sma(x, 10)[9:], ref, rtol=1e-13)
