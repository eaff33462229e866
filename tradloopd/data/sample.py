"""The embedded sample: real daily US stock bars that work offline after install.

The data is the public-domain Quandl WIKI daily price table that the PyPI package
`bokeh-sampledata` ships as `bokeh_sampledata/_data/stocks.csv.gz` (AAPL, FB, GOOG, IBM, MSFT,
2000-03-01 (GOOG 2004-08-19, FB 2012-05-18) to 2013-03-01). The prices are **unadjusted**:
splits show as price gaps, e.g. AAPL's 2:1 splits on 2000-06-21 and 2005-02-28, MSFT's on
2003-02-18. Bars are labelled with the trading date at 00:00 UTC. Nothing is copied into this
repository; the file is read from the installed package.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import TYPE_CHECKING

from tradloopd.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from tradloopd.data.bars import BarSeries

SAMPLE_SYMBOLS: tuple[str, ...] = ("AAPL", "FB", "GOOG", "IBM", "MSFT")
SAMPLE_ORIGIN = "Quandl WIKI via bokeh-sampledata, public domain, unadjusted"
_PACKAGE = "bokeh_sampledata"


def load_sample(symbol: str = "AAPL") -> BarSeries:
    """Daily bars of one sample symbol (see SAMPLE_SYMBOLS); DataError for any other."""
    if symbol not in SAMPLE_SYMBOLS:
        raise DataError(f"no sample data for {symbol!r}; choose one of {', '.join(SAMPLE_SYMBOLS)}")
    return _sample_bars(symbol)


@functools.cache
def _sample_bars(symbol: str) -> BarSeries:
    """Bars are immutable (read-only arrays), so one instance per symbol is shared."""
    from tradloopd.data.bars import BarSeries

    table = _stocks_table()
    rows = table[table["Ticker"] == symbol]
    return BarSeries.from_frame(rows, symbol=symbol, source=f"sample:{symbol} ({SAMPLE_ORIGIN})")


@functools.cache
def _stocks_table() -> pd.DataFrame:
    import pandas as pd

    try:
        resource = resources.files(_PACKAGE) / "_data" / "stocks.csv.gz"
        with resources.as_file(resource) as path:
            return pd.read_csv(
                path,
                usecols=["Ticker", "Date", "Open", "High", "Low", "Close", "Volume"],
                dtype={
                    "Open": "float64",
                    "High": "float64",
                    "Low": "float64",
                    "Close": "float64",
                    "Volume": "float64",
                },
            )
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise DataError(
            "the embedded sample needs the bokeh-sampledata package (a tradloopd dependency); "
            "reinstall tradloopd, or pass a data file instead of 'sample'"
        ) from exc
