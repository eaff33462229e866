"""Exact window sums for prices on a decimal grid, so equal means are bit-equal floats.

Prices parsed from decimal text lie on a grid of 10**-d. When every input value does
(d <= 9), window sums are computed in integers and divided once, which gives the
correctly rounded mean. Off the grid, sums fall back to float running sums computed
the same way in batch and streaming form: the first window summed in order, then
+ (new - old); a window holding only zeros sums to exactly 0 (no running-sum residue).
The batch loops are compiled (`kernels.sums`); `WindowSum` is the streaming form.
"""

from __future__ import annotations

import math

import numpy as np

MAX_DECIMALS = 9


def decimals(x: np.ndarray) -> int | None:
    """Smallest d <= 9 with every value a multiple of 10**-d, or None if there is none."""
    from tradloopd.indicators.kernels import sums

    d = sums.decimals(x)
    return None if d < 0 else d


def rolling_sum(x: np.ndarray, p: int) -> np.ndarray:
    """Window sums (valid part, length n-p+1): correctly rounded on a grid, else float."""
    from tradloopd.indicators.kernels import sums

    out = np.empty(max(len(x) - p + 1, 0))
    sums.window_sums(x, p, False, out)
    return out


def rolling_mean(x: np.ndarray, p: int) -> np.ndarray:
    """Window means (valid part): correctly rounded on a grid, else float running sum / p."""
    from tradloopd.indicators.kernels import sums

    out = np.empty(max(len(x) - p + 1, 0))
    sums.window_sums(x, p, True, out)
    return out


def rolling_var(x: np.ndarray, p: int, root: bool = False) -> np.ndarray:
    """Population variance (std with `root`) of each window (valid part), exact on a grid."""
    from tradloopd.indicators.kernels import sums

    out = np.empty(max(len(x) - p + 1, 0))
    if len(out):
        sums.window_var(x, p, sums.decimals(x), root, out)
    return out


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

    __slots__ = (
        "_d", "_f0", "_f1", "_f2", "_i", "_n", "_nonzero", "_p", "_q", "_s1", "_s2", "_scale", "_shift", "_x",
    )  # fmt: skip

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
        self._f0 = 0.0
        self._f1 = 0.0
        self._f2 = 0.0
        self._nonzero = 0
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
        self._f0 = 0.0
        for v in window:
            self._f0 += v
        self._nonzero = sum(v != 0.0 for v in window)
        if not self._nonzero:
            self._f0 = 0.0

    def _push_float(self, value: float, old_x: float) -> None:
        y = value - self._shift
        if self._n > self._p:
            yo = old_x - self._shift
            self._f0 += value - old_x
            self._f1 += y - yo
            self._f2 += y * y - yo * yo
            self._nonzero += (value != 0.0) - (old_x != 0.0)
        else:
            self._f0 += value
            self._f1 += y
            self._f2 += y * y
            self._nonzero += value != 0.0
        if not self._nonzero:
            self._f0 = 0.0

    def window(self) -> list[float]:
        """The values in the window, oldest first."""
        if self._n < self._p:
            return self._x[: self._n]
        return self._x[self._i :] + self._x[: self._i]

    def total(self) -> float:
        """Sum of the window."""
        if self._d is None:
            return self._f0
        return self._s1 / self._scale

    def mean(self) -> float:
        """Mean of the window (correctly rounded on a grid)."""
        if self._d is None:
            return self._f0 / self._p
        return self._s1 / (self._p * self._scale)

    def var(self) -> float:
        """Population variance of the window."""
        p = self._p
        if self._d is None:
            return max((self._f2 - self._f1 * self._f1 / p) / p, 0.0)
        return (p * self._s2 - self._s1 * self._s1) / (p * p * self._scale * self._scale)
