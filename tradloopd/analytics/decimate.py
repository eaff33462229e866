"""Min-max decimation: pick few enough points of a long series to plot it fast and faithfully.

Each of `buckets` equal slices keeps its lowest and highest point, plus the first and last
point overall, so spikes and drawdowns stay visible while a 1M-bar line shrinks to ~4k points.
"""

from __future__ import annotations

import numpy as np

DEFAULT_BUCKETS = 2000


def minmax_indices(y: np.ndarray, buckets: int = DEFAULT_BUCKETS) -> np.ndarray:
    """Sorted indices into `y` to plot; every index when `y` is short. NaNs are never extremes."""
    n = len(y)
    if n <= 2 * buckets + 2:
        return np.arange(n)
    size = -(-n // buckets)
    pad = size * buckets - n
    values = np.asarray(y, dtype=np.float64)
    low = np.pad(np.where(np.isnan(values), np.inf, values), (0, pad), constant_values=np.inf)
    high = np.pad(np.where(np.isnan(values), -np.inf, values), (0, pad), constant_values=-np.inf)
    offsets = np.arange(buckets) * size
    lows = offsets + np.argmin(low.reshape(buckets, size), axis=1)
    highs = offsets + np.argmax(high.reshape(buckets, size), axis=1)
    picked = np.concatenate(([0, n - 1], lows, highs))
    return np.unique(picked[picked < n])
