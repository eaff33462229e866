"""Loading bar files (CSV, CSV.gz, Parquet) and directories of them into validated BarSeries.

Expected columns are `timestamp,open,high,low,close,volume`, names in any case; the timestamp may
also be called `date`, `datetime`, `time` or `open_time`. Other columns are ignored. Timestamps
may be ISO-8601 (with or without `Z` or an offset; naive means UTC), plain dates, or epoch numbers
whose unit is told by magnitude (see `tradloopd.data.timestamps`). Data that breaks a rule is
refused with a DataError naming file, line and problem, unless `clean=True` is passed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from pathlib import Path

from tradloopd.data.bars import VALUE_COLUMNS, BarSeries
from tradloopd.data.read import SUPPORTED_SUFFIXES, RawTable, file_suffix, read_table
from tradloopd.data.report import ValidationReport
from tradloopd.data.validate import Verdict, check_table
from tradloopd.errors import DataError

_SYMBOL_TOKEN = re.compile(r"[A-Z][A-Z0-9]+")
_TOKEN_SEPARATORS = re.compile(r"[_\-.\s]+")


def load_bars(path: str | Path, *, symbol: str | None = None, clean: bool = False) -> BarSeries:
    """Load one bar file; see `load_bars_checked` for the rules and for the cleaning report."""
    return load_bars_checked(path, symbol=symbol, clean=clean)[0]


def load_bars_checked(
    path: str | Path, *, symbol: str | None = None, clean: bool = False
) -> tuple[BarSeries, ValidationReport]:
    """Load one bar file and return it with its validation report.

    Without `clean`, any problem other than a gap raises DataError with a one-line message
    naming the first problem's file and line. With `clean`, repairable rows are dropped or
    sorted (see `tradloopd.data.validate`) and the report lists what was done; a missing column,
    an empty file or nothing usable left still raises. `symbol` defaults to
    `symbol_from_path(path)`.
    """
    table = read_table(path)
    verdict = check_table(table, clean=clean)
    bars = bars_from_table(table, verdict, symbol=symbol or symbol_from_path(path))
    return bars, verdict.report


def bars_from_table(table: RawTable, verdict: Verdict, *, symbol: str) -> BarSeries:
    """The bars a verdict keeps; DataError with the report's one-line refusal if it keeps none."""
    report = verdict.report
    if report.fatal or not (report.cleaned or report.ok):
        raise DataError(report.refusal())
    keep = verdict.keep
    return BarSeries.from_arrays(
        symbol=symbol,
        ts=table.ts if keep is None else table.ts[keep],
        source=table.file,
        **{n: table.values[n] if keep is None else table.values[n][keep] for n in VALUE_COLUMNS},
    )


def load_many(paths_or_dir: str | Path | Iterable[str | Path], *, clean: bool = False) -> list[BarSeries]:
    """Load a directory of bar files (one symbol per file) or a list of files, sorted by symbol.

    In a directory every file not starting with "." must have a supported suffix; the symbol of
    each file comes from its name, and two files may not give the same symbol.
    """
    paths = _bar_files(paths_or_dir)
    series = sorted((load_bars(path, clean=clean) for path in paths), key=lambda s: s.symbol)
    for before, after in itertools.pairwise(series):
        if before.symbol == after.symbol:
            raise DataError(
                f"{before.source} and {after.source} both give symbol {before.symbol}; "
                "keep one file per symbol"
            )
    return series


def _bar_files(paths_or_dir: str | Path | Iterable[str | Path]) -> list[Path]:
    if isinstance(paths_or_dir, str | Path):
        directory = Path(paths_or_dir)
        if not directory.is_dir():
            raise DataError(f"{directory}: not a directory (use load_bars for one file)")
        paths = sorted(p for p in directory.iterdir() if not p.name.startswith("."))
        where = str(directory)
    else:
        paths = [Path(p) for p in paths_or_dir]
        where = "the list of files"
    if not paths:
        raise DataError(f"{where}: no bar files to load; expected {', '.join(SUPPORTED_SUFFIXES)}")
    unknown = [p.name for p in paths if not p.name.lower().endswith(SUPPORTED_SUFFIXES)]
    if unknown:
        raise DataError(
            f"{where}: cannot load {', '.join(unknown)} (unknown file type; expected "
            f"{', '.join(SUPPORTED_SUFFIXES)}); move other files out of the directory"
        )
    return paths


def symbol_from_path(path: str | Path) -> str:
    """The symbol a file name suggests: the first token of the name (without suffix, split on
    `_`, `-`, `.` and spaces) that is upper-case letters and digits, starts with a letter and is
    at least two characters long; otherwise the whole name without suffix.

    `binance_spot_BTCUSDT_5m.csv.gz` → `BTCUSDT`, `quandl_wiki_AAPL_1d.csv` → `AAPL`,
    `oanda_EURUSD_bid_1h.csv.gz` → `EURUSD`, `prices.parquet` → `prices`.
    """
    name = Path(path).name
    stem = name[: len(name) - len(file_suffix(name))] if _is_supported(name) else Path(name).stem
    for token in _TOKEN_SEPARATORS.split(stem):
        if _SYMBOL_TOKEN.fullmatch(token):
            return token
    return stem


def _is_supported(name: str) -> bool:
    return name.lower().endswith(SUPPORTED_SUFFIXES)
