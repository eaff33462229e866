"""Reading a CSV (plain or gzip) or Parquet bar file into columns, line numbers and parse problems.

CSV is read by Arrow's C++ reader as text, so that a bad cell never stops the read; each row
keeps its line number (the header is line 1; blank lines are skipped but counted, as in an
editor). Rows with the wrong number of fields are reported and left out. Cells are then
converted column by column; a column that does not convert whole is converted value by value
to find the bad cells. Parquet rows are numbered from 1 (there is no header line).
"""

from __future__ import annotations

import csv
import gzip
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from tradloopd.data.columns import VALUE_NAMES, FoundColumns, find_columns
from tradloopd.data.report import Problem, ProblemKind
from tradloopd.data.timestamps import to_ns
from tradloopd.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.csv

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUPPORTED_SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES
_NAN_TEXTS = frozenset({"nan", "-nan", "na", "n/a", "null", "none"})
_TIMESTAMP_HINT = "expected ISO-8601 such as 2024-01-31T09:30:00Z, a date, or epoch s/ms/us/ns"


@dataclass(frozen=True, slots=True)
class RawTable:
    """The rows of one file that had the right number of fields, in file order.

    `ts` is int64 ns UTC and `values` float64; where a cell could not be read the row is marked in
    `unusable` and its problem is in `problems`. `rows` counts every non-blank data line.
    """

    file: str
    line_label: str
    rows: int
    lines: np.ndarray
    ts: np.ndarray
    values: dict[str, np.ndarray]
    unusable: np.ndarray
    problems: list[Problem]


def read_table(path: str | Path) -> RawTable:
    """Read a bar file; raise DataError if it cannot be opened or decoded at all."""
    file = str(path)
    suffix = file_suffix(file)
    try:
        if suffix in PARQUET_SUFFIXES:
            return _read_parquet(file)
        return _read_csv(file)
    except FileNotFoundError as exc:
        raise DataError(f"{file}: no such file") from exc
    except IsADirectoryError as exc:
        raise DataError(f"{file}: is a directory (use load_many for a directory)") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{file}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    except (OSError, EOFError) as exc:
        raise DataError(f"{file}: cannot read the file: {exc}") from exc


def file_suffix(file: str) -> str:
    """The supported suffix the file name ends with; DataError for anything else."""
    lowered = file.lower()
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if lowered.endswith(suffix):
            return suffix
    raise DataError(f"{file}: unknown file type; expected one of {', '.join(SUPPORTED_SUFFIXES)}")


# CSV ------------------------------------------------------------------------------------------


def _read_csv(file: str) -> RawTable:
    with _open_text(file) as stream:
        header = next(csv.reader(stream), [])
    found = find_columns(header)
    if found.missing():
        return _without_rows(file, "line", found)
    cells, invalid = _read_csv_text(file, found)
    problems, skipped = [], []
    for row in invalid:
        skipped.append(row.number)
        if row.text.strip():
            message = f"expected {row.expected_columns} fields, found {row.actual_columns}"
            problems.append(Problem(file=file, line=row.number, column=None, kind="bad_row", message=message))
    all_lines = np.arange(2, cells.num_rows + len(invalid) + 2, dtype=np.int64)
    lines = np.setdiff1d(all_lines, np.array(skipped, dtype=np.int64), assume_unique=True)
    blank = _blank_rows(cells)
    if blank.any():
        cells, lines = cells.filter(~blank), lines[~blank]
    return _convert(file, "line", found, cells, lines, len(problems) + cells.num_rows, problems)


def _open_text(file: str) -> TextIO:
    if file.lower().endswith(".gz"):
        return gzip.open(file, "rt", encoding="utf-8-sig", newline="")
    return open(file, encoding="utf-8-sig", newline="")


def _read_csv_text(file: str, found: FoundColumns) -> tuple[pa.Table, list[pa.csv.InvalidRow]]:
    """All cells of the six columns as text, and the rows with a wrong number of fields.

    Threads are used first; Arrow knows the line number of a bad row only when reading on one
    thread, so a file with bad rows is read a second time on one thread."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    names = [f"c{position}" for position in range(len(found.header))]
    wanted = [names[found.header.index(name)] for name in found.names()]
    invalid: list[pa_csv.InvalidRow] = []

    def keep_invalid(row: pa_csv.InvalidRow) -> str:
        invalid.append(row)
        return "skip"

    convert = pa_csv.ConvertOptions(
        column_types=dict.fromkeys(wanted, pa.string()),
        include_columns=wanted,
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    parse = pa_csv.ParseOptions(invalid_row_handler=keep_invalid, ignore_empty_lines=False)
    for use_threads in (True, False):
        invalid.clear()
        read = pa_csv.ReadOptions(column_names=names, skip_rows=1, use_threads=use_threads)
        try:
            cells = pa_csv.read_csv(file, read_options=read, parse_options=parse, convert_options=convert)
        except pa.ArrowInvalid as exc:
            raise DataError(f"{file}: cannot read the file as CSV: {exc}") from exc
        if not invalid:
            break
    return cells, invalid


def _blank_rows(cells: pa.Table) -> np.ndarray:
    """Rows whose six cells are all empty: blank lines (or lines of commas), skipped silently."""
    import pyarrow.compute as pc

    blank = pc.equal(cells.column(0), "").to_numpy(zero_copy_only=False)
    if not blank.any():
        return blank  # the usual case: one column looked at
    for column in cells.columns[1:]:
        blank &= pc.equal(pc.utf8_trim_whitespace(column), "").to_numpy(zero_copy_only=False)
    return blank


# Parquet --------------------------------------------------------------------------------------


def _read_parquet(file: str) -> RawTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        found = find_columns(pq.read_schema(file).names)
        if found.missing():
            return _without_rows(file, "row", found)
        cells = pq.read_table(file, columns=found.names())
    except pa.ArrowInvalid as exc:
        raise DataError(f"{file}: cannot read the file as Parquet: {exc}") from exc
    lines = np.arange(1, cells.num_rows + 1, dtype=np.int64)
    return _convert(file, "row", found, cells, lines, cells.num_rows, [])


# Shared ---------------------------------------------------------------------------------------


def _convert(
    file: str,
    line_label: str,
    found: FoundColumns,
    cells: pa.Table,
    lines: np.ndarray,
    rows: int,
    problems: list[Problem],
) -> RawTable:
    """Convert the six columns (timestamp first), collecting a problem for every bad cell."""
    names = found.names()
    stamps = cells.column(0)
    ts, unusable = to_ns(stamps)
    problems = problems + _timestamp_problems(file, names[0], stamps, unusable, lines)
    values = {}
    for position, name in enumerate(VALUE_NAMES, start=1):
        column = cells.column(position)
        values[name] = _to_float(column)
        bad = ~np.isfinite(values[name])
        problems += _number_problems(file, names[position], values[name], column, bad, lines)
        unusable = unusable | bad
    return RawTable(file, line_label, rows, lines, ts, values, unusable, problems)


def _to_float(column: pa.ChunkedArray) -> np.ndarray:
    """float64 values, NaN where a cell is null or not a number."""
    import pyarrow as pa

    try:
        return column.cast(pa.float64()).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        import pandas as pd

        numbers = pd.to_numeric(column.to_pandas(), errors="coerce")
        return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def _without_rows(file: str, line_label: str, found: FoundColumns) -> RawTable:
    problem = Problem(file=file, line=1, column=None, kind="missing_column", message=found.describe_missing())
    values = {name: np.empty(0) for name in VALUE_NAMES}
    empty = np.empty(0, dtype=np.int64)
    return RawTable(file, line_label, 0, empty, empty, values, np.empty(0, dtype=bool), [problem])


def _timestamp_problems(
    file: str, column: str, stamps: pa.ChunkedArray, bad: np.ndarray, lines: np.ndarray
) -> list[Problem]:
    problems = []
    kind: ProblemKind
    for row in np.flatnonzero(bad):
        cell = stamps[int(row)].as_py()
        if _is_blank(cell):
            kind, message = "missing_value", "empty timestamp"
        else:
            kind, message = "bad_timestamp", f"cannot read timestamp {cell} ({_TIMESTAMP_HINT})"
        problems.append(Problem(file=file, line=int(lines[row]), column=column, kind=kind, message=message))
    return problems


def _number_problems(
    file: str,
    column: str,
    numbers: np.ndarray,
    cells: pa.ChunkedArray,
    bad: np.ndarray,
    lines: np.ndarray,
) -> list[Problem]:
    problems = []
    for row in np.flatnonzero(bad):
        kind, message = _describe_number(column, float(numbers[row]), cells[int(row)].as_py())
        problems.append(Problem(file=file, line=int(lines[row]), column=column, kind=kind, message=message))
    return problems


def _describe_number(column: str, number: float, cell: object) -> tuple[ProblemKind, str]:
    if np.isinf(number):
        return "non_finite", f"{column} is infinite ({cell})"
    if cell is None:
        return "missing_value", f"{column} is missing (null)"
    if _is_blank(cell):
        return "missing_value", f"empty {column}"
    text = str(cell).strip()
    if isinstance(cell, float) or text.lower() in _NAN_TEXTS:
        return "missing_value", f"{column} is missing ({text})"
    return "bad_number", f"cannot read {column} {text!r} as a number"


def _is_blank(cell: object) -> bool:
    """None (null), NaN or text of only spaces."""
    return cell is None or (isinstance(cell, float) and math.isnan(cell)) or not str(cell).strip()
