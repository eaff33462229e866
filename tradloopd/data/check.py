"""The body of `tradloopd data check FILE`: print every problem of a bar file, return the exit code.

Top-level imports stay light (no numpy or pandas) so that importing the CLI stays fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from tradloopd.errors import DataError

if TYPE_CHECKING:
    from tradloopd.data.read import RawTable
    from tradloopd.data.report import ValidationReport
    from tradloopd.data.validate import Verdict

GAPS_SHOWN = 10


def check_command(path: str, *, out: TextIO | None = None) -> int:
    """Print the validation report of `path`: a summary, every error with file and line, and the
    first GAPS_SHOWN gaps (gaps are information). Return 0 when the file is clean, 1 otherwise."""
    from tradloopd.data.read import read_table
    from tradloopd.data.validate import check_table

    stream = out if out is not None else sys.stdout
    try:
        table = read_table(path)
    except DataError as exc:
        print(exc, file=stream)
        return 1
    verdict = check_table(table)
    report = verdict.report
    _print_report(report, stream)
    if report.fatal:
        print(f"{path}: cannot be used; fix the file", file=stream)
        return 1
    if not report.ok:
        print(
            f"{path}: refused as it is; fix the rows listed above, or pass --clean to drop or sort them",
            file=stream,
        )
        return 1
    print(_describe_bars(table, verdict), file=stream)
    return 0


def _print_report(report: ValidationReport, stream: TextIO) -> None:
    print(report.summary(), file=stream)
    for problem in report.errors:
        print(report.describe(problem), file=stream)
    gaps = report.infos
    for problem in gaps[:GAPS_SHOWN]:
        print(report.describe(problem), file=stream)
    if len(gaps) > GAPS_SHOWN:
        print(
            f"... and {len(gaps) - GAPS_SHOWN} more gaps (information only: weekends, "
            "holidays and exchange outages show as gaps)",
            file=stream,
        )


def _describe_bars(table: RawTable, verdict: Verdict) -> str:
    from tradloopd.data.load import bars_from_table, symbol_from_path
    from tradloopd.data.timestamps import format_duration, format_ts

    bars = bars_from_table(table, verdict, symbol=symbol_from_path(table.file))
    path = table.file
    decimals = "not decimal" if bars.price_decimals is None else str(bars.price_decimals)
    return (
        f"{path}: OK: {len(bars)} bars {bars.symbol} from {format_ts(bars.ts[0])} to "
        f"{format_ts(bars.ts[-1])}, timeframe {format_duration(bars.timeframe_ns)}, "
        f"price decimals {decimals}"
    )
