"""Indicators TA-Lib lacks (or defines differently) against plain-Python textbook loops."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest

from tradloopd import indicators as ti

Bars = dict[str, np.ndarray]
Check = Callable[..., None]
NAN = math.nan


@pytest.fixture(params=["synthetic", "real"])
def bars(request: pytest.FixtureRequest, make_bars: Callable, load_real: Callable) -> Bars:
    if request.param == "real":
        return load_real("stocks/quandl_wiki_AAPL_1d.csv", rows=1500)
    return make_bars(n=1500, seed=21)


def _ema(xs: list[float], p: int, alpha: float | None = None) -> list[float]:
    a, out, prev = (2.0 / (p + 1) if alpha is None else alpha), [], NAN
    for i, x in enumerate(xs):
        if i == p - 1:
            prev = sum(xs[:p]) / p
        elif i >= p:
            prev = prev + a * (x - prev)
        out.append(prev)
    return out


def _wma(xs: list[float], p: int) -> list[float]:
    w = range(1, p + 1)
    return [NAN] * (p - 1) + [
        sum(wi * x for wi, x in zip(w, xs[i - p + 1 : i + 1], strict=True)) / sum(w)
        for i in range(p - 1, len(xs))
    ]


def _valid_tail(xs: list[float], start: int, fn: Callable[[list[float]], list[float]]) -> list[float]:
    return [NAN] * start + fn(xs[start:])


def test_hma(bars: Bars, check_close: Check) -> None:
    c = bars["close"].tolist()
    half, full = _wma(c, 10), _wma(c, 20)
    raw = [2 * a - b for a, b in zip(half, full, strict=True)]
    check_close(ti.hma(bars["close"], 20), _valid_tail(raw, 19, lambda t: _wma(t, 4)))


def test_vwma_and_cmf(bars: Bars, check_close: Check) -> None:
    h, lo, c, v = (bars[k].tolist() for k in ("high", "low", "close", "volume"))
    p = 20
    ref_vwma, ref_cmf = [NAN] * (p - 1), [NAN] * (p - 1)
    for i in range(p - 1, len(c)):
        win = range(i - p + 1, i + 1)
        vol = sum(v[j] for j in win)
        ref_vwma.append(sum(c[j] * v[j] for j in win) / vol)
        mfv = sum(((c[j] - lo[j]) - (h[j] - c[j])) / (h[j] - lo[j]) * v[j] for j in win)
        ref_cmf.append(mfv / vol)
    check_close(ti.vwma(bars["close"], bars["volume"], p), ref_vwma)
    check_close(ti.cmf(bars["high"], bars["low"], bars["close"], bars["volume"], p), ref_cmf)


def test_tsi(bars: Bars, check_close: Check) -> None:
    c = bars["close"].tolist()
    d = [b - a for a, b in itertools.pairwise(c)]
    num = _valid_tail(_ema(d, 25), 24, lambda t: _ema(t, 13))
    den = _valid_tail(_ema([abs(x) for x in d], 25), 24, lambda t: _ema(t, 13))
    line = [100 * a / b for a, b in zip(num, den, strict=True)]
    signal = _valid_tail(line, 36, lambda t: _ema(t, 13))
    ours_line, ours_signal = ti.tsi(bars["close"], 25, 13, 13)
    check_close(ours_line, [NAN, *line])
    check_close(ours_signal, [NAN, *signal])


def _stoch_raw(h: list[float], lo: list[float], c: list[float], p: int) -> list[float]:
    out = [NAN] * (p - 1)
    for i in range(p - 1, len(c)):
        hh, ll = max(h[i - p + 1 : i + 1]), min(lo[i - p + 1 : i + 1])
        out.append(100 * (c[i] - ll) / (hh - ll) if hh != ll else 0.0)
    return out


def test_kdj(bars: Bars, check_close: Check) -> None:
    h, lo, c = (bars[k].tolist() for k in ("high", "low", "close"))
    k_prev = d_prev = 50.0
    ref_k, ref_d, ref_j = [], [], []
    for rsv in _stoch_raw(h, lo, c, 9):
        if math.isnan(rsv):
            ref_k.append(NAN), ref_d.append(NAN), ref_j.append(NAN)
            continue
        k_prev = (2 * k_prev + rsv) / 3
        d_prev = (2 * d_prev + k_prev) / 3
        ref_k.append(k_prev), ref_d.append(d_prev), ref_j.append(3 * k_prev - 2 * d_prev)
    k, d, j = ti.kdj(bars["high"], bars["low"], bars["close"], 9, 3, 3)
    check_close(k, ref_k)
    check_close(d, ref_d)
    check_close(j, ref_j)


def test_supertrend(bars: Bars, check_close: Check) -> None:
    h, lo, c = (bars[k] for k in ("high", "low", "close"))
    atr = ti.atr(h, lo, c, 10).tolist()
    hl, cl = ((h + lo) / 2).tolist(), c.tolist()
    value, direction = [NAN] * 10, [NAN] * 10
    up = dn = NAN
    trend = 1
    for i in range(10, len(cl)):
        bu, bd = hl[i] + 3 * atr[i], hl[i] - 3 * atr[i]
        up = bu if i == 10 or bu < up or cl[i - 1] > up else up
        dn = bd if i == 10 or bd > dn or cl[i - 1] < dn else dn
        if trend == 1 and cl[i] < dn:
            trend = -1
        elif trend == -1 and cl[i] > up:
            trend = 1
        value.append(dn if trend == 1 else up)
        direction.append(trend)
    ours_value, ours_dir = ti.supertrend(h, lo, c, 10, 3.0)
    check_close(ours_value, value)
    check_close(ours_dir, direction)


def test_ichimoku(bars: Bars, check_close: Check) -> None:
    h, lo, c = (bars[k].tolist() for k in ("high", "low", "close"))

    def mid(p: int) -> list[float]:
        return [NAN] * (p - 1) + [
            (max(h[i - p + 1 : i + 1]) + min(lo[i - p + 1 : i + 1])) / 2 for i in range(p - 1, len(c))
        ]

    conv, base, slow = mid(9), mid(26), mid(52)
    span_a = [NAN] * 26 + [(a + b) / 2 for a, b in zip(conv, base, strict=True)][:-26]
    span_b = [NAN] * 26 + slow[:-26]
    ours = ti.ichimoku(bars["high"], bars["low"], bars["close"])
    for got, ref in zip(ours, (conv, base, span_a, span_b, c), strict=True):
        check_close(got, ref)


def test_volume_flows(bars: Bars, check_close: Check) -> None:
    c, v = bars["close"].tolist(), bars["volume"].tolist()
    vpt, total = [NAN], 0.0
    for i in range(1, len(c)):
        total += v[i] * (c[i] - c[i - 1]) / c[i - 1]
        vpt.append(total)
    force = [NAN, *_ema([(c[i] - c[i - 1]) * v[i] for i in range(1, len(c))], 13)]
    check_close(ti.vpt(bars["close"], bars["volume"]), vpt)
    check_close(ti.force(bars["close"], bars["volume"], 13), force)


def test_statistics(bars: Bars, check_close: Check) -> None:
    x = bars["close"]
    p = 20
    windows = [x[i - p + 1 : i + 1] for i in range(p - 1, len(x))]
    z = [NAN] * (p - 1) + [(w[-1] - w.mean()) / w.std() for w in windows]
    check_close(ti.zscore(x, p), z)
    r = np.log(x[1:] / x[:-1])
    hv = [NAN] * p + [r[i - p : i].std(ddof=1) * math.sqrt(252) for i in range(p, len(r) + 1)]
    check_close(ti.hv(x, p), hv)
    upper, middle, lower, bw, pct = ti.bbands(x, p, 2.0)
    check_close(bw, (upper - lower) / middle)
    check_close(pct, (x - lower) / (upper - lower))


def test_linreg_fit_quality(bars: Bars, check_close: Check) -> None:
    x, p = bars["close"], 14
    t = np.arange(p, dtype=float)
    r2, z = [NAN] * (p - 1), [NAN] * (p - 1)
    for i in range(p - 1, len(x)):
        w = x[i - p + 1 : i + 1]
        slope, icpt = np.polyfit(t, w, 1)
        res = w - (icpt + slope * t)
        r2.append(np.corrcoef(t, w)[0, 1] ** 2)
        z.append(res[-1] / res.std())
    _, _, _, ours_r2, ours_z = ti.linreg(x, p)
    check_close(ours_r2, r2, rtol=1e-7)
    check_close(ours_z, z, rtol=1e-7)


def _day_groups(ts: np.ndarray, week: bool = False) -> list[int]:
    days = ts // (86_400 * 10**9)
    return ((days + 3) // 7).tolist() if week else days.tolist()


@pytest.mark.parametrize("anchor", ["none", "day", "week"])
def test_vwap_anchors(anchor: str, make_bars: Callable, check_close: Check) -> None:
    b = make_bars(n=800, seed=9)
    ts = b["ts"] + 1_800 * 10**9
    groups = [0] * len(ts) if anchor == "none" else _day_groups(ts, anchor == "week")
    tp = ((b["high"] + b["low"] + b["close"]) / 3).tolist()
    v = b["volume"].tolist()
    ref, pv, vol = [], 0.0, 0.0
    for i, g in enumerate(groups):
        if i == 0 or g != groups[i - 1]:
            pv = vol = 0.0
        pv, vol = pv + tp[i] * v[i], vol + v[i]
        ref.append(pv / vol)
    check_close(ti.vwap(ts, b["high"], b["low"], b["close"], b["volume"], anchor), ref)


def test_vwap_session_restarts_after_a_gap(make_bars: Callable) -> None:
    b = make_bars(n=10)
    ts = np.array([0, 1, 2, 3, 10, 11, 12, 30, 31, 32], dtype=np.int64) * 3_600 * 10**9
    out = ti.vwap(ts, b["high"], b["low"], b["close"], b["volume"], "session", 60)
    tp = (b["high"] + b["low"] + b["close"]) / 3
    assert out[4] == pytest.approx(tp[4]) and out[7] == pytest.approx(tp[7])
    assert out[5] == pytest.approx((tp[4] * b["volume"][4] + tp[5] * b["volume"][5]) / b["volume"][4:6].sum())


@pytest.mark.parametrize("method", ["classic", "fibonacci", "woodie", "camarilla"])
def test_pivots_use_the_previous_day(method: str, make_bars: Callable) -> None:
    b = make_bars(n=24 * 5, seed=4)
    ts = b["ts"] - b["ts"][0] % (86_400 * 10**9)
    out = dict(
        zip(
            ti.outputs(ti.ind("pivots", method=method)),
            ti.pivots(ts, b["high"], b["low"], b["close"], method),
            strict=True,
        )
    )
    assert np.isnan(out["pivot"][:24]).all()
    day1 = slice(0, 24)
    hi, lo, cl = b["high"][day1].max(), b["low"][day1].min(), b["close"][23]
    p = (hi + lo + 2 * cl) / 4 if method == "woodie" else (hi + lo + cl) / 3
    expected_r1 = {
        "classic": 2 * p - lo,
        "woodie": 2 * p - lo,
        "fibonacci": p + 0.382 * (hi - lo),
        "camarilla": cl + (hi - lo) * 1.1 / 12,
    }[method]
    assert np.allclose(out["pivot"][24:48], p) and np.allclose(out["r1"][24:48], expected_r1)
    assert out["s1"][24] < out["r1"][24]
