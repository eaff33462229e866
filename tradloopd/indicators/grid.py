"""Exact window sums for prices on a decimal grid, so equal means are bit-equal floats.

Prices parsed from decimal text lie on a grid of 10**-d. When every input value does
(d <= 9), window sums are computed in integers and divided once, which gives the
correctly rounded mean. Off the grid, sums fall back to float running sums computed
the same way in batch and streaming form (`cumsum` of window differences).
"""

from __future__ import annotations

import math

import numpy as np

MAX_DECIMALS = 9
_EXACT = 2**53
_SAMPLE = 256


def _on_grid(x: np.ndarray, d: int, buf: np.ndarray) -> bool:
    scale = float(10**d)
    np.multiply(x, scale, out=buf)
    np.rint(buf, out=buf)
    np.divide(buf, scale, out=buf)
    return bool(np.array_equal(buf, x))


def decimals(x: np.ndarray) -> int | None:
    """Smallest d <= 9 with every value a multiple of 10**-d, or None if there is none."""
    if len(x) == 0:
        return 0
    head = x[:_SAMPLE]
    start = next((d for d in range(MAX_DECIMALS + 1) if _on_grid(head, d, np.empty_like(head))), None)
    if start is None:
        return None
    buf = np.empty_like(x)
    return next((d for d in range(start, MAX_DECIMALS + 1) if _on_grid(x, d, buf)), None)


def grid_ints(x: np.ndarray, p: int) -> tuple[np.ndarray, int] | None:
    """Integers q = x * 10**d for the grid of `x`, if window sums of `p` stay below 2**53."""
    d = decimals(x)
    if d is None:
        return None
    q = np.multiply(x, float(10**d))
    np.rint(q, out=q)
    bound = max(float(q.max(initial=0.0)), -float(q.min(initial=0.0))) * p
    if bound >= _EXACT or p * 10**d >= _EXACT:
        return None
    return q.astype(np.int64), d


def window_diff_sums(v: np.ndarray, p: int) -> np.ndarray:
    """Window sums of `p`, as a running sum: first window summed in order, then +new-old."""
    if len(v) < p:
        return np.empty(0, dtype=v.dtype)
    steps = np.empty(len(v) - p + 1, dtype=v.dtype)
    steps[0] = np.cumsum(v[:p])[-1]
    np.subtract(v[p:], v[:-p], out=steps[1:])
    return np.cumsum(steps, out=steps)


def rolling_sum(x: np.ndarray, p: int) -> np.ndarray:
    """Window sums (valid part, length n-p+1): correctly rounded on a grid, else float."""
    exact = grid_ints(x, p)
    if exact is None:
        return window_diff_sums(x, p)
    q, d = exact
    return window_diff_sums(q, p).astype(np.float64) / float(10**d)


def rolling_mean(x: np.ndarray, p: int) -> np.ndarray:
    """Window means (valid part): correctly rounded on a grid, else float running sum / p."""
    exact = grid_ints(x, p)
    if exact is None:
        return window_diff_sums(x, p) / p
    q, d = exact
    means = window_diff_sums(q, p).astype(np.float64)
    del q
    means /= float(p * 10**d)
    return means


def rolling_var(x: np.ndarray, p: int) -> np.ndarray:
    """Population variance of each window (valid part), exact integer moments when possible."""
    if len(x) < p:
        return np.empty(0)
    exact = grid_ints(x, p)
    if exact is not None:
        q, d = exact
        q = q - q[0]
        if float(np.abs(q).max(initial=0)) * p < 2**31:
            s1 = window_diff_sums(q, p)
            s2 = window_diff_sums(q * q, p)
            num = (p * s2 - s1 * s1).astype(np.float64)
            return num / float(p * p) / float(10 ** (2 * d))
    y = x - x[0]
    s1 = window_diff_sums(y, p)
    s2 = window_diff_sums(y * y, p)
    return np.maximum((s2 - s1 * s1 / p) / p, 0.0)


def grid_decimals(value: float, start: int) -> int | None:
    """Smallest d in [start, 9] with `value` a multiple of 10**-d, or None."""
    for d in range(start, MAX_DECIMALS + 1):
        scale = 10**d
        if round(value * scale) / scale == value:
            return d
    return None


class WindowSum:
    """Streaming window sum/mean/variance of the last `p` values, exact on a decimal grid.

    Integer sums run on an adaptive scale 10**D (D grows when a value needs more
    decimals) and are divided once with Python's correctly rounded int division, so
    the mean equals the batch `rolling_mean` bit for bit. A value off the grid switches
    the window to float running sums for good.
    """

    __slots__ = ("_f1", "_f2", "_i", "_n", "_p", "_q", "_s1", "_s2", "_scale", "_shift", "_x", "_d")

    def __init__(self, p: int) -> None:
        self._p = p
        self._x: list[float] = [0.0] * p
        self._q: list[int] = [0] * p
        self._i = 0
        self._n = 0
        self._d: int | None = 0
        self._scale = 1
        self._s1 = 0
        self._s2 = 0
        self._f1 = 0.0
        self._f2 = 0.0
        self._shift = 0.0

    @property
    def full(self) -> bool:
        return self._n >= self._p

    def push(self, value: float) -> None:
        """Add `value`, dropping the oldest once the window is full."""
        i = self._i
        old_x = self._x[i]
        self._x[i] = value
        self._i = i + 1 if i + 1 < self._p else 0
        self._n += 1
        if self._d is not None:
            self._push_exact(value, i)
        else:
            self._push_float(value, old_x)

    def _push_exact(self, value: float, i: int) -> None:
        scale = self._scale
        q = round(value * scale)
        if q / scale != value:
            d = grid_decimals(value, self._d or 0)
            if d is None:
                self._to_float()
                return
            self._rescale(d)
            q = round(value * self._scale)
        old = self._q[i] if self._n > self._p else 0
        self._q[i] = q
        self._s1 += q - old
        self._s2 += q * q - old * old

    def _rescale(self, d: int) -> None:
        k = 10 ** (d - (self._d or 0))
        self._d, self._scale = d, 10**d
        self._q = [q * k for q in self._q]
        self._s1 *= k
        self._s2 *= k * k

    def _to_float(self) -> None:
        self._d = None
        window = self.window()
        self._shift = window[0]
        ys = [v - self._shift for v in window]
        self._f1 = math.fsum(ys)
        self._f2 = math.fsum(y * y for y in ys)

    def _push_float(self, value: float, old_x: float) -> None:
        y = value - self._shift
        if self._n > self._p:
            yo = old_x - self._shift
            self._f1 += y - yo
            self._f2 += y * y - yo * yo
        else:
            self._f1 += y
            self._f2 += y * y

    def window(self) -> list[float]:
        """The values in the window, oldest first."""
        if self._n < self._p:
            return self._x[: self._n]
        return self._x[self._i :] + self._x[: self._i]

    def total(self) -> float:
        """Sum of the window."""
        if self._d is None:
            return self._f1 + self._shift * min(self._n, self._p)
        return self._s1 / self._scale

    def mean(self) -> float:
        """Mean of the window (correctly rounded on a grid)."""
        if self._d is None:
            return (self._f1 + self._shift * self._p) / self._p
        return self._s1 / (self._p * self._scale)

    def var(self) -> float:
        """Population variance of the window."""
        p = self._p
        if self._d is None:
            return max((self._f2 - self._f1 * self._f1 / p) / p, 0.0)
        return (p * self._s2 - self._s1 * self._s1) / (p * p * self._scale * self._scale)
