"""BarSeries keeps its invariants, computes timeframe and decimals, and converts to and from pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradloopd.data import BarSeries
from tradloopd.data.bars import price_decimals_of, timeframe_of
from tradloopd.errors import DataError

DAY = 86_400 * 10**9


def make(ts: list[int], close: list[float] | None = None) -> BarSeries:
    close_values = np.array(close if close is not None else [10.0] * len(ts))
    return BarSeries.from_arrays(
        symbol="X",
        ts=np.array(ts, dtype=np.int64),
        source="test",
        open=close_values,
        high=close_values + 1,
        low=close_values - 1,
        close=close_values,
        volume=np.ones(len(ts)),
    )


def test_arrays_are_read_only_contiguous_float64():
    bars = make([0, 1, 2])
    for name, array in {"ts": bars.ts, **bars.columns()}.items():
        assert array.flags.c_contiguous and not array.flags.writeable, name
    assert bars.close.dtype == np.float64 and bars.ts.dtype == np.int64
    with pytest.raises(ValueError, match="read-only"):
        bars.close[0] = 1.0


def test_invariants_are_checked_on_construction():
    good = make([0, 1, 2])
    fields = {"symbol": "X", "source": "test", "timeframe_ns": 1, "price_decimals": 0}
    values = good.columns()
    with pytest.raises(DataError, match="test: bar 2 has a timestamp not after bar 1"):
        BarSeries(ts=np.array([0, 2, 2]), **values, **fields)
    with pytest.raises(DataError, match="test: close has 2 values but ts has 3"):
        BarSeries(ts=good.ts, **{**values, "close": values["close"][:2]}, **fields)
    with pytest.raises(DataError, match="test: volume must be a 1-d float64 array, got int64 array"):
        BarSeries(ts=good.ts, **{**values, "volume": np.ones(3, dtype=np.int64)}, **fields)
    with pytest.raises(DataError, match="ts must be a 1-d int64 array, got list"):
        BarSeries(ts=[0, 1, 2], **values, **fields)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="open must be C-contiguous"):
        BarSeries(ts=good.ts, **{**values, "open": np.ones(6)[::2]}, **fields)


def test_timeframe_is_the_most_common_spacing_not_the_mean():
    weekdays = [0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 14]  # days, with weekends
    assert make([d * DAY for d in weekdays]).timeframe_ns == DAY
    assert timeframe_of(np.array([0, 5, 10, 12, 14])) == 2  # tie of 5 and 2: the smaller
    assert make([7]).timeframe_ns == 0


@pytest.mark.parametrize(
    ("prices", "decimals"),
    [
        ([100.0, 101.0], 0),
        ([92792.05, 92848.01, 0.5], 2),
        ([1.31927, 1.3202], 5),
        ([118.5625, 1.1], 4),
        ([0.123456789], 9),
        ([1 / 3], None),
    ],
)
def test_price_decimals_is_the_fewest_exact_decimals(prices, decimals):
    assert price_decimals_of([np.array(prices)]) == decimals


def test_price_decimals_looks_past_the_probe_rows():
    prices = np.full(5_000, 100.0)
    prices[-1] = 100.25
    assert price_decimals_of([prices]) == 2


def test_slice_shares_memory_and_keeps_parent_properties():
    bars = make([0, 1, 2, 3, 4], close=[10.0, 10.5, 11.0, 11.25, 12.0])
    part = bars.slice(1, 3)
    assert len(part) == 2 and list(part.ts) == [1, 2]
    assert np.shares_memory(part.close, bars.close) and np.shares_memory(part.ts, bars.ts)
    assert (part.timeframe_ns, part.price_decimals) == (bars.timeframe_ns, bars.price_decimals)
    assert len(bars.slice(5, 9)) == 0


def test_frame_round_trip_is_exact():
    bars = make([DAY, 2 * DAY, 4 * DAY], close=[1.5, 2.25, 3.0])
    frame = bars.to_frame()
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert frame.index.name == "timestamp" and str(frame.index.dtype) == "datetime64[ns, UTC]"
    back = BarSeries.from_frame(frame, symbol="X", source="frame")
    assert np.array_equal(back.ts, bars.ts) and np.array_equal(back.close, bars.close)
    assert (back.timeframe_ns, back.price_decimals) == (DAY, 2)


def test_from_frame_takes_a_timestamp_column_in_any_case_and_unit():
    frame = pd.DataFrame(
        {
            "Date": ["2024-01-01", "2024-01-02"],
            "OPEN": [1, 2],
            "High": [2, 3],
            "low": [1, 1],
            "Close": [2, 2],
            "Volume": [0, 5],
        }
    )
    bars = BarSeries.from_frame(frame, symbol="X", source="frame")
    assert list(bars.ts) == [1_704_067_200 * 10**9, 1_704_153_600 * 10**9]
    assert bars.open.dtype == np.float64
    with pytest.raises(DataError, match="frame: missing column 'close'"):
        BarSeries.from_frame(frame.drop(columns="Close"), symbol="X", source="frame")
