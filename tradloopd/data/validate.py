"""Validation of read bars (prices, volume, OHLC rule, duplicates, time order, gaps) and the
choice of the rows a clean load keeps.

What cleaning does, and only when asked: rows with an unreadable, missing or non-finite cell, a
non-positive price, a negative volume or an OHLC violation are dropped; a row repeating an earlier
row exactly is dropped; a row with the timestamp of an earlier row but other values is dropped too
(the first row in the file is kept, and the conflict stays in the report); the rest is sorted by
time (stable). Gaps are information only: they are reported, never filled.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
import numpy as np

from tradloopd.data.bars import VALUE_COLUMNS, timeframe_of
from tradloopd.data.read import RawTable
from tradloopd.data.report import Problem, ProblemKind, ValidationReport
from tradloopd.data.timestamps import format_duration, format_ts


@dataclass(frozen=True, slots=True)
class Verdict:
    """The report, and the row indices (in time order) of the bars to build; `keep` is None
    when every row is kept in file order (nothing to repair) and when the data is refused."""

    report: ValidationReport
    keep: np.ndarray | None


def check_table(table: RawTable, *, clean: bool = False) -> Verdict:
    """Validate a read table; with `clean`, the report says what was repaired."""
    usable = ~table.unusable
    problems = list(table.problems)
    value_problems, bad_values = _value_problems(table, usable)
    usable = usable & ~bad_values
    duplicate_problems, duplicates = _duplicate_problems(table, usable)
    usable = usable & ~duplicates
    order_problems = _order_problems(table, usable)
    keep = np.flatnonzero(usable)
    keep = keep[np.argsort(table.ts[keep], kind="stable")]
    problems += value_problems + duplicate_problems + order_problems + _gap_problems(table, keep)
    nothing_kept = len(keep) == 0 and (clean or table.rows == 0)
    if nothing_kept and not any(p.kind == "missing_column" for p in problems):
        problems.append(_no_data(table))
    problems.sort(key=lambda p: p.line)
    report = ValidationReport(
        file=table.file,
        problems=tuple(problems),
        rows=table.rows,
        kept=0,
        cleaned=clean,
        line_label=table.line_label,
    )
    if report.fatal or not (clean or report.ok):
        return Verdict(report, None)
    untouched = len(keep) == len(table.ts) and not order_problems
    kept_report = msgspec.structs.replace(report, kept=len(keep))
    return Verdict(kept_report, None if untouched else keep)


def _value_problems(table: RawTable, usable: np.ndarray) -> tuple[list[Problem], np.ndarray]:
    """Non-positive prices, negative volume, then OHLC violations among the remaining rows."""
    values, problems = table.values, []
    bad = np.zeros(len(usable), dtype=bool)
    for name in VALUE_COLUMNS:
        kind: ProblemKind
        if name == "volume":
            wrong, kind, verb = values[name] < 0, "negative_volume", "is negative"
        else:
            wrong, kind, verb = values[name] <= 0, "non_positive_price", "is not positive"
        for row in np.flatnonzero(usable & wrong):
            message = f"{name} {_num(values[name][row])} {verb}"
            problems.append(_problem(table, row, name, kind, message))
        bad |= usable & wrong
    problems += _ohlc_problems(table, usable & ~bad)
    bad |= usable & _ohlc_broken(table)
    return problems, bad


_OHLC_RULES = (
    ("high", "below", "open"),
    ("high", "below", "close"),
    ("low", "above", "open"),
    ("low", "above", "close"),
)


def _ohlc_broken(table: RawTable) -> np.ndarray:
    v = table.values
    return (v["high"] < np.maximum(v["open"], v["close"])) | (v["low"] > np.minimum(v["open"], v["close"]))


def _ohlc_problems(table: RawTable, candidates: np.ndarray) -> list[Problem]:
    v, problems = table.values, []
    for row in np.flatnonzero(candidates & _ohlc_broken(table)):
        for side, relation, other in _OHLC_RULES:
            a, b = v[side][row], v[other][row]
            if (a < b) if relation == "below" else (a > b):
                message = f"{side} {_num(a)} is {relation} {other} {_num(b)} (OHLC violation)"
                problems.append(_problem(table, row, side, "ohlc_violation", message))
                break
    return problems


def _duplicate_problems(table: RawTable, usable: np.ndarray) -> tuple[list[Problem], np.ndarray]:
    """Rows whose timestamp an earlier usable row already has; the first one in the file wins."""
    rows = np.flatnonzero(usable)
    rows = rows[np.argsort(table.ts[rows], kind="stable")]
    repeat = np.zeros(len(rows), dtype=bool)
    repeat[1:] = table.ts[rows[1:]] == table.ts[rows[:-1]]
    duplicates = np.zeros(len(usable), dtype=bool)
    if not repeat.any():
        return [], duplicates
    first_of_group = rows[np.flatnonzero(~repeat)[np.cumsum(~repeat) - 1]]
    problems = [
        _duplicate_problem(table, int(row), int(first))
        for row, first in zip(rows[repeat], first_of_group[repeat], strict=True)
    ]
    duplicates[rows[repeat]] = True
    return problems, duplicates


def _duplicate_problem(table: RawTable, row: int, first: int) -> Problem:
    stamp, first_line = format_ts(table.ts[row]), int(table.lines[first])
    differences = [
        f"{name} {_num(table.values[name][row])} vs {_num(table.values[name][first])}"
        for name in VALUE_COLUMNS
        if table.values[name][row] != table.values[name][first]
    ]
    if not differences:
        message = f"duplicate of {table.line_label} {first_line} (timestamp {stamp}, same values)"
        return _problem(table, row, None, "duplicate", message)
    message = (
        f"timestamp {stamp} already on {table.line_label} {first_line} with other values "
        f"({', '.join(differences)}); conflicting duplicate"
    )
    return _problem(table, row, None, "conflicting_duplicate", message)


def _order_problems(table: RawTable, usable: np.ndarray) -> list[Problem]:
    """Rows with a timestamp earlier than the usable row just before them in the file."""
    rows = np.flatnonzero(usable)
    stamps = table.ts[rows]
    problems = []
    for at in np.flatnonzero(stamps[1:] < stamps[:-1]) + 1:
        row, previous = rows[at], rows[at - 1]
        message = (
            f"timestamp {format_ts(table.ts[row])} is earlier than {format_ts(table.ts[previous])} "
            f"on {table.line_label} {table.lines[previous]} (out of order)"
        )
        problems.append(_problem(table, row, None, "out_of_order", message))
    return problems


def _gap_problems(table: RawTable, keep: np.ndarray) -> list[Problem]:
    """Spacings larger than the timeframe between the kept bars, reported at the later bar."""
    stamps = table.ts[keep]
    timeframe = timeframe_of(stamps)
    if timeframe == 0:
        return []
    steps = np.diff(stamps)
    problems = []
    for at in np.flatnonzero(steps > timeframe):
        step = int(steps[at])
        missing, rest = divmod(step, timeframe)
        extent = (
            f"{missing - 1} missing {format_duration(timeframe)} bar{'s' if missing > 2 else ''}"
            if rest == 0
            else f"not a multiple of the {format_duration(timeframe)} timeframe"
        )
        message = (
            f"gap of {format_duration(step)} between {format_ts(stamps[at])} and "
            f"{format_ts(stamps[at + 1])} ({extent})"
        )
        problems.append(_problem(table, keep[at + 1], None, "gap", message))
    return problems


def _no_data(table: RawTable) -> Problem:
    if table.rows == 0:
        message = "no data rows after the header"
    else:
        message = f"none of the {table.rows} data rows is usable"
    return Problem(file=table.file, line=1, column=None, kind="no_data", message=message)


def _problem(
    table: RawTable, row: int | np.integer, column: str | None, kind: ProblemKind, message: str
) -> Problem:
    line = int(table.lines[row])
    return Problem(file=table.file, line=line, column=column, kind=kind, message=message)


def _num(value: float) -> str:
    """Shortest text that reads back as the same float: 101.5, 0.00012, 92792.05."""
    return repr(float(value))
