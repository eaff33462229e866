"""First-order recursions (EMA, Wilder smoothing, adaptive averages) solved without Python loops."""

from __future__ import annotations

import numpy as np


def recurse(x: np.ndarray, gain: float, decay: float, seed: float) -> np.ndarray:
    """y[k] = gain*x[k] + decay*y[k-1] with y[-1] = seed: the same float steps as streaming."""
    if len(x) == 0:
        return np.empty(0)
    from scipy.signal import lfilter  # imported on first use: scipy.signal costs ~1 s to import

    y, _ = lfilter([gain], [1.0, -decay], x, zi=[decay * seed])
    return np.asarray(y, dtype=np.float64)


def smooth(x: np.ndarray, alpha: float, seed: float) -> np.ndarray:
    """Exponential smoothing y[k] = alpha*x[k] + (1-alpha)*y[k-1] with y[-1] = seed."""
    return recurse(x, alpha, 1.0 - alpha, seed)


def seeded_smooth(x: np.ndarray, p: int, alpha: float) -> np.ndarray:
    """Smooth the valid series `x` seeded with the mean of its first `p` values.

    Returns the valid part: element 0 is the seed (placed at x's index p-1).
    """
    if len(x) < p:
        return np.empty(0)
    seed = float(np.cumsum(x[:p])[-1]) / p
    return np.concatenate(([seed], smooth(x[p:], alpha, seed)))


_BLOCK = 512


def linear_scan(a: np.ndarray, b: np.ndarray, y0: float) -> np.ndarray:
    """y[k] = a[k]*y[k-1] + b[k] with y[-1] = y0, in blocks of `_BLOCK` values.

    Each block is run forward from zero for all blocks at once (one vectorised step per
    column), then the block carries are chained and added back scaled by the block's
    product of `a`. The fixed block size keeps a prefix's values independent of how
    many bars follow it.
    """
    n = len(a)
    if n == 0:
        return np.empty(0)
    width = _BLOCK
    rows = -(-n // width)
    pa = np.ones(rows * width)
    pb = np.zeros(rows * width)
    pa[:n], pb[:n] = a, b
    ca, cb = pa.reshape(rows, width).T.copy(), pb.reshape(rows, width).T.copy()
    for j in range(1, width):
        cb[j] += ca[j] * cb[j - 1]
        ca[j] *= ca[j - 1]
    carry = np.empty(rows)
    prev = y0
    last_a, last_b = ca[-1].tolist(), cb[-1].tolist()
    for r in range(rows):
        carry[r] = prev
        prev = last_a[r] * prev + last_b[r]
    y = cb + ca * carry
    return y.T.ravel()[:n]
