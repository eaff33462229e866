"""The embedded sample loads offline from the installed bokeh-sampledata package."""

from __future__ import annotations

import numpy as np
import pytest

from tradloopd.data import SAMPLE_SYMBOLS, load_sample
from tradloopd.data.timestamps import format_ts
from tradloopd.errors import DataError

DAY = 86_400 * 10**9


def test_aapl_is_the_default_with_unadjusted_daily_bars():
    bars = load_sample()
    assert bars.symbol == "AAPL" and len(bars) == 3_270
    assert bars.source == "sample:AAPL (Quandl WIKI via bokeh-sampledata, public domain, unadjusted)"
    assert bars.timeframe_ns == DAY and bars.price_decimals == 4
    assert (format_ts(bars.ts[0]), format_ts(bars.ts[-1])) == (
        "2000-03-01T00:00:00Z",
        "2013-03-01T00:00:00Z",
    )
    assert [bars.open[0], bars.high[0], bars.low[0], bars.close[0], bars.volume[0]] == [
        118.56,
        132.06,
        118.5,
        130.31,
        9_616_100.0,
    ]
    split_day = np.datetime64("2000-06-21", "ns").astype(np.int64)
    split = int(np.searchsorted(bars.ts, split_day))
    assert format_ts(bars.ts[split]) == "2000-06-21T00:00:00Z"
    assert bars.open[split] < 0.6 * bars.close[split - 1]  # the 2:1 split shows as a gap


@pytest.mark.parametrize(
    ("symbol", "rows"),
    [("AAPL", 3_270), ("FB", 196), ("GOOG", 2_148), ("IBM", 3_270), ("MSFT", 3_270)],
)
def test_every_sample_symbol_is_valid_bar_data(symbol, rows):
    bars = load_sample(symbol)
    assert len(bars) == rows and symbol in SAMPLE_SYMBOLS
    assert np.all(bars.low > 0) and np.all(bars.volume >= 0)
    assert np.all(bars.low <= np.minimum(bars.open, bars.close))
    assert np.all(np.maximum(bars.open, bars.close) <= bars.high)


def test_unknown_sample_symbol_lists_the_choices():
    with pytest.raises(DataError, match="no sample data for 'TSLA'; choose one of AAPL, FB, GOOG"):
        load_sample("TSLA")


def test_sample_needs_no_network_and_no_heavy_bokeh_import(run_python):
    code = (
        "import socket, sys\n"
        "def refuse(*a, **k): raise OSError('network is off in this test')\n"
        "socket.socket.connect = refuse\n"
        "from tradloopd.data import load_sample\n"
        "bars = load_sample('MSFT')\n"
        "print(len(bars), 'bokeh' in sys.modules, 'shapely' in sys.modules)\n"
    )
    assert run_python(code).split() == ["3270", "False", "False"]
