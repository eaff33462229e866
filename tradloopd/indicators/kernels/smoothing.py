"""Exponential and Wilder recursions (EMA chains, RSI, ATR, ADX, KAMA), compiled.

Every step is the streaming form's float operation, y = alpha*x + (1-alpha)*y with the
mean of the first `p` values as seed, so batch and streaming agree bit for bit.
Outputs are full-length arrays whose warm-up the caller has set to NaN.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def ema_into(x: np.ndarray, start: int, p: int, alpha: float, out: np.ndarray) -> None:
    """EMA of x[start:] seeded with the mean of its first `p`: fills out[start+p-1:]."""
    if len(x) - start < p:
        return
    total = 0.0
    for i in range(start, start + p):
        total += x[i]
    y = total / p
    out[start + p - 1] = y
    beta = 1.0 - alpha
    for i in range(start + p, len(x)):
        y = alpha * x[i] + beta * y
        out[i] = y


@njit(cache=True)
def smooth_into(x: np.ndarray, start: int, alpha: float, seed: float, out: np.ndarray) -> None:
    """y = alpha*x + (1-alpha)*y from y = seed, over x[start:] into out[start:]."""
    beta = 1.0 - alpha
    y = seed
    for i in range(start, len(x)):
        y = alpha * x[i] + beta * y
        out[i] = y


@njit(cache=True)
def rsi_into(x: np.ndarray, p: int, out: np.ndarray) -> None:
    """Wilder RSI: out[p:] (50 where neither gains nor losses exist)."""
    if len(x) <= p:
        return
    gain, loss = 0.0, 0.0
    for i in range(1, p + 1):
        d = x[i] - x[i - 1]
        gain += max(d, 0.0)
        loss += max(-d, 0.0)
    gain, loss = gain / p, loss / p
    alpha = 1.0 / p
    beta = 1.0 - alpha
    for i in range(p, len(x)):
        if i > p:
            d = x[i] - x[i - 1]
            gain = alpha * max(d, 0.0) + beta * gain
            loss = alpha * max(-d, 0.0) + beta * loss
        total = gain + loss
        out[i] = 100.0 * gain / total if total != 0.0 else 50.0


@njit(cache=True)
def true_range(h: np.ndarray, lo: np.ndarray, c: np.ndarray, i: int) -> float:
    """max(high-low, |high-prev close|, |low-prev close|) at bar i >= 1."""
    prev = c[i - 1]
    return max(h[i] - lo[i], abs(h[i] - prev), abs(lo[i] - prev))


@njit(cache=True)
def trange_into(h: np.ndarray, lo: np.ndarray, c: np.ndarray, out: np.ndarray) -> None:
    """True range from bar 1 on."""
    for i in range(1, len(c)):
        out[i] = true_range(h, lo, c, i)


@njit(cache=True)
def atr_into(h: np.ndarray, lo: np.ndarray, c: np.ndarray, p: int, percent: bool, out: np.ndarray) -> None:
    """Wilder ATR from bar p (or NATR, 100*ATR/close, NaN where close is 0, with `percent`)."""
    if len(c) <= p:
        return
    total = 0.0
    for i in range(1, p + 1):
        total += true_range(h, lo, c, i)
    y = total / p
    alpha = 1.0 / p
    beta = 1.0 - alpha
    for i in range(p, len(c)):
        if i > p:
            y = alpha * true_range(h, lo, c, i) + beta * y
        if not percent:
            out[i] = y
        elif c[i] != 0.0:
            out[i] = 100.0 * y / c[i]
        else:
            out[i] = np.nan


@njit(cache=True)
def adx_into(
    h: np.ndarray, lo: np.ndarray, c: np.ndarray, p: int, adx: np.ndarray, pdi: np.ndarray, mdi: np.ndarray
) -> None:
    """ADX, +DI and -DI with TA-Lib's seeding of the Wilder sums (DI from bar p, ADX from 2p-1)."""
    n = len(c)
    decay = 1.0 - 1.0 / p
    alpha = 1.0 / p
    beta = 1.0 - alpha
    trs, pp, pm = 0.0, 0.0, 0.0
    dx_sum, y = 0.0, 0.0
    for i in range(1, n):
        tr = true_range(h, lo, c, i)
        up, down = h[i] - h[i - 1], lo[i - 1] - lo[i]
        plus = up if up > down and up > 0.0 else 0.0
        minus = down if down > up and down > 0.0 else 0.0
        if i < p:
            trs += tr
            pp += plus
            pm += minus
            continue
        trs, pp, pm = tr + decay * trs, plus + decay * pp, minus + decay * pm
        pd = 100.0 * (pp / trs if trs != 0.0 else 0.0)
        md = 100.0 * (pm / trs if trs != 0.0 else 0.0)
        pdi[i], mdi[i] = pd, md
        total = pd + md
        dx = 100.0 * (abs(pd - md) / total if total != 0.0 else 0.0)
        k = i - p  # index of dx in its own series
        if k < p:
            dx_sum += dx
            if k == p - 1:
                y = dx_sum / p
                adx[i] = y
        else:
            y = alpha * dx + beta * y
            adx[i] = y


@njit(cache=True)
def kama_into(x: np.ndarray, vol: np.ndarray, p: int, slow_sc: float, diff: float, out: np.ndarray) -> None:
    """KAMA from bar p: vol[k] is the sum of |change| over the window ending at bar p+k."""
    k = x[p - 1]
    for i in range(p, len(x)):
        change = abs(x[i] - x[i - p])
        v = vol[i - p]
        er = 1.0 if v <= change or v == 0.0 else change / v
        sc = er * diff + slow_sc
        sc = sc * sc
        k = (1.0 - sc) * k + sc * x[i]
        out[i] = k


@njit(cache=True)
def _level(v: float, k: int, p: int, alpha: float, total: float, y: float) -> tuple[float, float, bool]:
    """One EMA level given its k-th input `v`: (seed sum, value, ready) after it."""
    if k < p - 1:
        return total + v, y, False
    if k == p - 1:
        total += v
        return total, total / p, True
    return total, alpha * v + (1.0 - alpha) * y, True


@njit(cache=True)
def cascade_into(x: np.ndarray, p: int, kind: int, out: np.ndarray) -> None:
    """EMA chains in one pass: DEMA (kind 2) from bar 2(p-1), TEMA (kind 3) from 3(p-1),
    TRIX (kind 4, percent change of the triple EMA) from 3(p-1)+1.
    """
    alpha = 2.0 / (p + 1)
    s1 = s2 = s3 = 0.0
    e1 = e2 = e3 = prev = np.nan
    for t in range(len(x)):
        s1, e1, ready = _level(x[t], t, p, alpha, s1, e1)
        if not ready:
            continue
        s2, e2, ready = _level(e1, t - (p - 1), p, alpha, s2, e2)
        if not ready:
            continue
        if kind == 2:
            out[t] = 2.0 * e1 - e2
            continue
        s3, e3, ready = _level(e2, t - 2 * (p - 1), p, alpha, s3, e3)
        if not ready:
            continue
        if kind == 3:
            out[t] = 3.0 * e1 - 3.0 * e2 + e3
        elif t > 3 * (p - 1):
            out[t] = (e3 / prev - 1.0) * 100.0 if prev != 0.0 else np.nan
        prev = e3


@njit(cache=True)
def ema_diff_into(x: np.ndarray, fast: int, slow: int, out: np.ndarray) -> None:
    """EMA(fast) - EMA(slow) from bar slow-1 (fast < slow)."""
    af, a_s = 2.0 / (fast + 1), 2.0 / (slow + 1)
    sf = ss = 0.0
    ef = es = np.nan
    for t in range(len(x)):
        sf, ef, _ = _level(x[t], t, fast, af, sf, ef)
        ss, es, ready = _level(x[t], t, slow, a_s, ss, es)
        if ready:
            out[t] = ef - es


@njit(cache=True)
def macd_into(
    x: np.ndarray, fast: int, slow: int, sig: int, line: np.ndarray, signal: np.ndarray, hist: np.ndarray
) -> None:
    """MACD line from bar slow-1; its EMA(sig) and the histogram from bar slow+sig-2."""
    af, a_s, ag = 2.0 / (fast + 1), 2.0 / (slow + 1), 2.0 / (sig + 1)
    sf = ss = sg = 0.0
    ef = es = eg = np.nan
    for t in range(len(x)):
        sf, ef, _ = _level(x[t], t, fast, af, sf, ef)
        ss, es, ready = _level(x[t], t, slow, a_s, ss, es)
        if not ready:
            continue
        m = ef - es
        line[t] = m
        sg, eg, ready = _level(m, t - (slow - 1), sig, ag, sg, eg)
        if ready:
            signal[t], hist[t] = eg, m - eg
