"""`BarSeries`: one symbol's OHLCV bars as read-only float64 numpy arrays on int64 ns UTC times."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tradloopd.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

PRICE_COLUMNS = ("open", "high", "low", "close")
VALUE_COLUMNS = (*PRICE_COLUMNS, "volume")
MAX_PRICE_DECIMALS = 9
_DECIMALS_PROBE_ROWS = 1_000


@dataclass(frozen=True, slots=True, eq=False)
class BarSeries:
    """OHLCV bars of one symbol, in strictly increasing time.

    `ts` is the bar open time as the source labels it (int64 ns UTC). The value arrays are
    float64, C-contiguous and read-only. `timeframe_ns` is the most common spacing of `ts` (0 for
    fewer than two bars); `price_decimals` the fewest decimals (<= 9) that represent every price
    exactly, or None. Build one with `from_arrays` or `from_frame`, which compute both; the
    constructor only checks the invariants and raises DataError when one is broken.
    """

    symbol: str
    ts: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    timeframe_ns: int
    source: str
    price_decimals: int | None

    def __post_init__(self) -> None:
        _check_array(self, "ts", np.int64, len(self.ts))
        for name in VALUE_COLUMNS:
            _check_array(self, name, np.float64, len(self.ts))
        if len(self.ts) > 1 and not bool(np.all(self.ts[1:] > self.ts[:-1])):
            at = int(np.argmin(self.ts[1:] > self.ts[:-1])) + 1
            raise DataError(
                f"{self.source}: bar {at} has a timestamp not after bar {at - 1}; "
                "timestamps must be strictly increasing (load with clean=True to sort and dedupe)"
            )
        if self.timeframe_ns < 0:
            raise DataError(f"{self.source}: timeframe_ns {self.timeframe_ns} is negative")

    def __len__(self) -> int:
        return len(self.ts)

    def columns(self) -> dict[str, np.ndarray]:
        """The value arrays by name: open, high, low, close, volume."""
        return {name: getattr(self, name) for name in VALUE_COLUMNS}

    def to_frame(self, extra: Mapping[str, np.ndarray] | None = None) -> pd.DataFrame:
        """A DataFrame of open..volume (and `extra` columns, e.g. indicators) on a UTC nanosecond
        DatetimeIndex named `timestamp`; it shares the arrays, it does not copy them."""
        import pandas as pd

        index = pd.DatetimeIndex(self.ts.view("datetime64[ns]"), name="timestamp").tz_localize("UTC")
        return pd.DataFrame({**self.columns(), **(extra or {})}, index=index, copy=False)

    def slice(self, start: int, stop: int) -> BarSeries:
        """Bars [start, stop) as views (no copy); timeframe and decimals are the parent's."""
        window = slice(start, stop)
        return BarSeries(
            symbol=self.symbol,
            ts=self.ts[window],
            **{name: array[window] for name, array in self.columns().items()},
            timeframe_ns=self.timeframe_ns,
            source=self.source,
            price_decimals=self.price_decimals,
        )

    @classmethod
    def from_arrays(cls, *, symbol: str, ts: np.ndarray, source: str, **values: np.ndarray) -> BarSeries:
        """Build from ts (int64 ns UTC) and open/high/low/close/volume arrays, computing
        `timeframe_ns` and `price_decimals`; arrays are converted to contiguous float64."""
        missing = sorted(set(VALUE_COLUMNS) - values.keys())
        if missing:
            raise DataError(f"{source}: missing columns {', '.join(missing)}")
        ts = np.ascontiguousarray(ts, dtype=np.int64)
        arrays = {name: np.ascontiguousarray(values[name], dtype=np.float64) for name in VALUE_COLUMNS}
        return cls(
            symbol=symbol,
            ts=ts,
            **arrays,
            timeframe_ns=timeframe_of(ts),
            source=source,
            price_decimals=price_decimals_of([arrays[name] for name in PRICE_COLUMNS]),
        )

    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, symbol: str, source: str) -> BarSeries:
        """Build from a DataFrame with a timestamp column (timestamp/date/datetime/time/open_time,
        any case) or a DatetimeIndex, and open/high/low/close/volume columns (any case).

        Timestamps may be datetimes (naive means UTC), ISO text or epoch numbers. Only the
        BarSeries invariants are checked here; use `load_bars` for full validation of files.
        """
        from tradloopd.data.columns import find_columns
        from tradloopd.data.timestamps import to_ns

        found = find_columns([str(name) for name in df.columns])
        index_is_time = df.index.dtype.kind == "M"
        if found.missing(index_is_time=index_is_time):
            raise DataError(f"{source}: {found.describe_missing(index_is_time=index_is_time)}")
        ts_column = df.index.to_series() if found.timestamp is None else df[found.timestamp]
        ts, bad = to_ns(ts_column)
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(f"{source}: row {row + 1}: cannot read timestamp {ts_column.iloc[row]!r}")
        values = {name: df[found.values[name]].to_numpy(dtype=np.float64) for name in VALUE_COLUMNS}
        return cls.from_arrays(symbol=symbol, ts=ts, source=source, **values)


def timeframe_of(ts: np.ndarray) -> int:
    """The most common positive spacing of `ts` (the smallest on ties), 0 if there is none."""
    steps = np.diff(ts)
    steps = steps[steps > 0]
    if len(steps) == 0:
        return 0
    spacings, counts = np.unique(steps, return_counts=True)
    return int(spacings[np.argmax(counts)])


def price_decimals_of(prices: list[np.ndarray]) -> int | None:
    """The smallest d <= 9 with x == rint(x * 10**d) / 10**d for every price, or None.

    The fewest decimals the first rows need is a lower bound for the whole series, so usually
    only one full pass is made."""
    probe = [array[:_DECIMALS_PROBE_ROWS] for array in prices]
    for decimals in range(MAX_PRICE_DECIMALS + 1):
        if _exact_at(probe, decimals):
            break
    else:
        return None
    for d in range(decimals, MAX_PRICE_DECIMALS + 1):
        if _exact_at(prices, d):
            return d
    return None


def _exact_at(prices: list[np.ndarray], decimals: int) -> bool:
    scale = 10.0**decimals
    return all(bool(np.all(np.rint(x * scale) / scale == x)) for x in prices)


def _check_array(bars: BarSeries, name: str, dtype: type, length: int) -> None:
    """Check one array field and replace it with a read-only view of itself."""
    array = getattr(bars, name)
    if not isinstance(array, np.ndarray) or array.dtype != dtype or array.ndim != 1:
        got = f"{array.dtype} array" if isinstance(array, np.ndarray) else type(array).__name__
        raise DataError(f"{bars.source}: {name} must be a 1-d {np.dtype(dtype)} array, got {got}")
    if len(array) != length:
        raise DataError(f"{bars.source}: {name} has {len(array)} values but ts has {length}")
    if not array.flags.c_contiguous:
        raise DataError(f"{bars.source}: {name} must be C-contiguous (use np.ascontiguousarray)")
    if array.flags.writeable:
        view = array.view()
        view.flags.writeable = False
        object.__setattr__(bars, name, view)
