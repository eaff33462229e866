"""Window sums, means and variances, exact on a decimal grid (compiled; see `grid.py`).

On a grid of 10**-d the window sums are int64 sums of rint(x * 10**d), divided once, so
means are correctly rounded. Off the grid (or when the integers could pass 2**53) the
sums are float running sums: the first window summed in order, then + (new - old); a
window holding only zeros sums to exactly 0 and restarts the running sum from 0.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MAX_DECIMALS = 9
EXACT = 2.0**53
EXACT_INT = 2**53
VAR_BOUND = 2.0**31


@njit(cache=True)
def scale(d: int) -> float:
    """10.0**d, exactly."""
    s = 1.0
    for _ in range(d):
        s *= 10.0
    return s


@njit(cache=True)
def _needed(v: float, d: int) -> int:
    while d <= MAX_DECIMALS:
        s = scale(d)
        if np.rint(v * s) / s == v:
            return d
        d += 1
    return -1


@njit(cache=True)
def decimals(x: np.ndarray) -> int:
    """Smallest d <= 9 with every value a multiple of 10**-d, or -1 if there is none."""
    d = 0
    while True:
        s = scale(d)
        bad = -1
        for i in range(len(x)):
            v = x[i]
            if np.rint(v * s) / s != v:
                bad = i
                break
        if bad < 0:
            return d
        d = _needed(x[bad], d + 1)
        if d < 0:
            return -1


@njit(cache=True)
def _exact_sums(x: np.ndarray, p: int, d: int, den: float, out: np.ndarray) -> bool:
    """out[k] = (int window sum ending at p-1+k) / den; False if an int could reach 2**53."""
    s = scale(d)
    total = np.int64(0)
    for i in range(p):
        q = np.rint(x[i] * s)
        if abs(q) * p >= EXACT:
            return False
        total += np.int64(q)
    out[0] = total / den
    for i in range(p, len(x)):
        q = np.rint(x[i] * s)
        if abs(q) * p >= EXACT:
            return False
        total += np.int64(q) - np.int64(np.rint(x[i - p] * s))
        out[i - p + 1] = total / den
    return True


@njit(cache=True)
def _float_sums(x: np.ndarray, p: int, mean: bool, out: np.ndarray) -> None:
    total, nonzero = 0.0, 0
    for i in range(p):
        total += x[i]
        nonzero += x[i] != 0.0
    if nonzero == 0:
        total = 0.0
    out[0] = total / p if mean else total
    for i in range(p, len(x)):
        new, old = x[i], x[i - p]
        total += new - old
        nonzero += (new != 0.0) - (old != 0.0)
        if nonzero == 0:
            total = 0.0
        out[i - p + 1] = total / p if mean else total


@njit(cache=True)
def window_sums(x: np.ndarray, p: int, mean: bool, out: np.ndarray) -> None:
    """Window sums (or means) of `p` into `out` (length len(x)-p+1)."""
    if len(x) >= p:
        sums_on(x, p, decimals(x), mean, out)


@njit(cache=True)
def sums_on(x: np.ndarray, p: int, d: int, mean: bool, out: np.ndarray) -> None:
    """`window_sums` for a series whose grid decimals `d` are known (-1: off any grid)."""
    if len(x) < p:
        return
    if d >= 0:
        unit = 1
        for _ in range(d):
            unit *= 10
        if p * unit < EXACT_INT:
            den = float(p * unit) if mean else float(unit)
            if _exact_sums(x, p, d, den, out):
                return
    _float_sums(x, p, mean, out)


@njit(cache=True)
def _exact_var(x: np.ndarray, p: int, d: int, out: np.ndarray) -> bool:
    s = scale(d)
    base = np.rint(x[0] * s)
    for i in range(len(x)):
        q = np.rint(x[i] * s)
        if abs(q) * p >= EXACT or abs(q - base) * p >= VAR_BOUND:
            return False
    q0 = np.int64(base)
    s1, s2 = np.int64(0), np.int64(0)
    pp, unit2 = float(p * p), scale(2 * d)
    for i in range(len(x)):
        y = np.int64(np.rint(x[i] * s)) - q0
        s1 += y
        s2 += y * y
        if i >= p:
            yo = np.int64(np.rint(x[i - p] * s)) - q0
            s1 -= yo
            s2 -= yo * yo
        if i >= p - 1:
            out[i - p + 1] = float(p * s2 - s1 * s1) / pp / unit2
    return True


@njit(cache=True)
def _float_var(x: np.ndarray, p: int, out: np.ndarray) -> None:
    x0 = x[0]
    s1, s2 = 0.0, 0.0
    for i in range(p):
        y = x[i] - x0
        s1 += y
        s2 += y * y
    out[0] = max((s2 - s1 * s1 / p) / p, 0.0)
    for i in range(p, len(x)):
        y, yo = x[i] - x0, x[i - p] - x0
        s1 += y - yo
        s2 += y * y - yo * yo
        out[i - p + 1] = max((s2 - s1 * s1 / p) / p, 0.0)


@njit(cache=True)
def window_var(x: np.ndarray, p: int, d: int, root: bool, out: np.ndarray) -> None:
    """Population variance (its square root with `root`) of each window of `p`.

    `d` is the grid decimals of `x` (-1: off any grid).
    """
    if len(x) < p:
        return
    if not (d >= 0 and p * 10**d < EXACT_INT and _exact_var(x, p, d, out)):
        _float_var(x, p, out)
    if root:
        for i in range(len(out)):
            out[i] = np.sqrt(out[i])


@njit(cache=True)
def _exact_moments(x: np.ndarray, p: int, d: int, mid: np.ndarray, sd: np.ndarray) -> bool:
    """Window means and population stds in one pass of integers; False if a bound is passed."""
    s = scale(d)
    base = np.rint(x[0] * s)
    q0 = np.int64(base)
    den, pp, unit2 = p * s, float(p * p), scale(2 * d)
    total, s2 = np.int64(0), np.int64(0)
    for i in range(len(x)):
        q = np.rint(x[i] * s)
        if abs(q) * p >= EXACT or abs(q - base) * p >= VAR_BOUND:
            return False
        y = np.int64(q) - q0
        total += np.int64(q)
        s2 += y * y
        if i >= p:
            qo = np.int64(np.rint(x[i - p] * s))
            total -= qo
            s2 -= (qo - q0) * (qo - q0)
        if i >= p - 1:
            s1 = total - p * q0
            mid[i - p + 1] = total / den
            sd[i - p + 1] = np.sqrt(float(p * s2 - s1 * s1) / pp / unit2)
    return True


@njit(cache=True)
def moments_on(x: np.ndarray, p: int, d: int, mid: np.ndarray, sd: np.ndarray) -> None:
    """Window means into `mid` and population stds into `sd` (valid parts; `d` as in `sums_on`)."""
    if len(x) < p:
        return
    if d >= 0 and p * 10**d < EXACT_INT and _exact_moments(x, p, d, mid, sd):
        return
    sums_on(x, p, d, True, mid)
    window_var(x, p, d, True, sd)


@njit(cache=True)
def _exact_ok(x: np.ndarray, p: int, d: int) -> bool:
    """Whether int window sums of `p` on the grid 10**-d stay below 2**53."""
    if d < 0 or p * 10**d >= EXACT_INT:
        return False
    s = scale(d)
    top = 0.0
    for i in range(len(x)):
        top = max(top, abs(np.rint(x[i] * s)))
    return top * p < EXACT


@njit(cache=True)
def _ultosc_term(
    bp: np.ndarray, tr: np.ndarray, p: int, d_bp: int, d_tr: int, weight: float, total: np.ndarray
) -> None:
    """total[k] += weight * sum(bp)/sum(tr) over the window ending at len(bp)-len(total)+k.

    Each sum is exact on its series' grid, else a float running sum (as `window_sums`).
    """
    eb, et = _exact_ok(bp, p, d_bp), _exact_ok(tr, p, d_tr)
    sb, st = scale(max(d_bp, 0)), scale(max(d_tr, 0))
    qb, qt = np.int64(0), np.int64(0)
    nb = nt = 0
    fb = ft = 0.0
    first = len(bp) - len(total)
    # Both sums written out in the loop: a helper returning the state per bar runs 4x slower.
    for i in range(len(bp)):
        old = i >= p
        if eb:
            qb += np.int64(np.rint(bp[i] * sb)) - (np.int64(np.rint(bp[i - p] * sb)) if old else 0)
        else:
            fb += bp[i] - bp[i - p] if old else bp[i]
            nb += (bp[i] != 0.0) - ((bp[i - p] != 0.0) if old else 0)
            if nb == 0:
                fb = 0.0
        if et:
            qt += np.int64(np.rint(tr[i] * st)) - (np.int64(np.rint(tr[i - p] * st)) if old else 0)
        else:
            ft += tr[i] - tr[i - p] if old else tr[i]
            nt += (tr[i] != 0.0) - ((tr[i - p] != 0.0) if old else 0)
            if nt == 0:
                ft = 0.0
        if i >= first:
            b = qb / sb if eb else fb
            t = qt / st if et else ft
            total[i - first] += weight * (b / t if t != 0.0 else 0.0)


@njit(cache=True)
def ultosc_into(
    bp: np.ndarray, tr: np.ndarray, periods: np.ndarray, d_bp: int, d_tr: int, out: np.ndarray
) -> None:
    """Ultimate oscillator from buying pressure and true range (bar t+1 at index t).

    Each window sum is exact on its series' grid, else a float running sum (as
    `window_sums`); 100 * (4*A_short + 2*A_medium + A_long) / 7 from bar max(periods).
    """
    total = out[max(periods[0], periods[1], periods[2]) :]
    total[:] = 0.0
    for k, weight in enumerate((4.0, 2.0, 1.0)):
        _ultosc_term(bp, tr, periods[k], d_bp, d_tr, weight, total)
    for k in range(len(total)):
        total[k] = 100.0 * total[k] / 7.0
