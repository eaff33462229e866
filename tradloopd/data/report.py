"""The validation report: every problem found in a bar file, with file, line and column.

This module is light (msgspec only) so that the CLI can import it without numpy or pandas.
"""

from __future__ import annotations

from typing import Literal

import msgspec

ProblemKind = Literal[
    "missing_column",  # a required column is absent from the header
    "no_data",  # the file has a header but no usable row
    "bad_row",  # wrong number of fields on a line
    "bad_number",  # a price or volume cell is not a number
    "bad_timestamp",  # a timestamp cell cannot be parsed
    "missing_value",  # an empty, NaN or null cell
    "non_finite",  # an infinite price or volume
    "non_positive_price",
    "negative_volume",
    "ohlc_violation",  # low <= min(open, close) <= max(open, close) <= high is broken
    "duplicate",  # the same timestamp and the same values as an earlier row
    "conflicting_duplicate",  # the same timestamp as an earlier row, different values
    "out_of_order",  # a timestamp earlier than the row before it
    "gap",  # spacing larger than the timeframe: information, not an error
]

FATAL_KINDS: frozenset[str] = frozenset({"missing_column", "no_data"})
INFO_KINDS: frozenset[str] = frozenset({"gap"})
DROPPED_KINDS: frozenset[str] = frozenset(
    {
        "bad_row",
        "bad_number",
        "bad_timestamp",
        "missing_value",
        "non_finite",
        "non_positive_price",
        "negative_volume",
        "ohlc_violation",
    }
)

_CLEAN_ACTION: dict[str, str] = {
    **dict.fromkeys(DROPPED_KINDS, "row dropped"),
    "duplicate": "row dropped",
    "conflicting_duplicate": "first row kept, this one dropped",
    "out_of_order": "moved into time order",
}


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One problem at one place: `line` is 1-based with the CSV header as line 1
    (for Parquet it is the 1-based data row); `column` is None when the whole row is meant."""

    file: str
    line: int
    column: str | None
    kind: ProblemKind
    message: str

    @property
    def is_error(self) -> bool:
        return self.kind not in INFO_KINDS


class ValidationReport(msgspec.Struct, frozen=True, kw_only=True):
    """What validation found in one file and, when cleaning, what was repaired.

    `rows` is the number of data rows read, `kept` the number of bars returned (0 when the data
    was refused). `line_label` is "line" for CSV and "row" for Parquet.
    """

    file: str
    problems: tuple[Problem, ...]
    rows: int
    kept: int
    cleaned: bool = False
    line_label: str = "line"

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)

    @property
    def infos(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.is_error)

    @property
    def ok(self) -> bool:
        """True when nothing but information (gaps) was found."""
        return not any(p.is_error for p in self.problems)

    @property
    def fatal(self) -> bool:
        """True when the file cannot give bars at all, even when cleaning."""
        return any(p.kind in FATAL_KINDS for p in self.problems)

    def describe(self, problem: Problem) -> str:
        """One line for one problem: `file line N: message` (plus the repair when cleaning)."""
        text = f"{problem.file} {self.line_label} {problem.line}: {problem.message}"
        action = _CLEAN_ACTION.get(problem.kind) if self.cleaned else None
        return f"{text} — {action}" if action else text

    def format(self, limit: int | None = 20) -> str:
        """Human text: a summary line, then one line per problem (errors first), capped at
        `limit` problem lines with a final "... and N more" line; `limit=None` lists all."""
        ordered = self.errors + self.infos
        shown = ordered if limit is None else ordered[:limit]
        lines = [self.summary(), *(self.describe(p) for p in shown)]
        if len(ordered) > len(shown):
            lines.append(f"... and {len(ordered) - len(shown)} more")
        return "\n".join(lines)

    def summary(self) -> str:
        """One line: how many rows, errors and gaps, and what cleaning kept."""
        n_errors, n_infos = len(self.errors), len(self.infos)
        parts = [f"{self.rows} rows", _count(n_errors, "problem"), _count(n_infos, "gap")]
        if self.cleaned:
            parts.append(f"cleaned: kept {self.kept} of {self.rows} rows")
        return f"{self.file}: " + ", ".join(parts)

    def refusal(self) -> str:
        """The one-line message of the DataError raised when the data is refused."""
        errors = sorted(self.errors, key=lambda p: (p.kind not in FATAL_KINDS, p.line))
        first = self.describe(errors[0])
        if self.fatal:
            return first
        rest = len(errors) - 1
        hint = f"run 'tradloopd data check {self.file}'"
        if rest == 0:
            return f"{first} — {hint} for details, or pass --clean"
        return f"{first}; {_count(rest, 'more problem')} — {hint} for all, or pass --clean"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
