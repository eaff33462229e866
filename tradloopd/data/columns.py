"""Which header names mean timestamp, open, high, low, close and volume (case-insensitive)."""

from __future__ import annotations

from dataclasses import dataclass

TIMESTAMP_NAMES = ("timestamp", "datetime", "date", "open_time", "time")
VALUE_NAMES = ("open", "high", "low", "close", "volume")
EXPECTED = "timestamp,open,high,low,close,volume"


@dataclass(frozen=True, slots=True)
class FoundColumns:
    """The header as given, and the header name chosen for each role (None if absent)."""

    header: tuple[str, ...]
    timestamp: str | None
    values: dict[str, str]

    def names(self) -> list[str]:
        """The header names of timestamp, open, high, low, close, volume, in that order."""
        if self.timestamp is None:
            raise ValueError(self.describe_missing())
        return [self.timestamp, *(self.values[name] for name in VALUE_NAMES)]

    def missing(self, *, index_is_time: bool = False) -> list[str]:
        """Roles with no column, in the expected order."""
        absent = [] if self.timestamp is not None or index_is_time else ["timestamp"]
        return absent + [name for name in VALUE_NAMES if name not in self.values]

    def describe_missing(self, *, index_is_time: bool = False) -> str:
        """`missing column 'volume' (found: ...); expected ...` for an error message."""
        names = ", ".join(repr(name) for name in self.missing(index_is_time=index_is_time))
        noun = "column" if len(self.missing(index_is_time=index_is_time)) == 1 else "columns"
        text = (
            f"missing {noun} {names} (found: {', '.join(self.header) or 'nothing'}); "
            f"expected {EXPECTED} in any case, with date/datetime/time/open_time also accepted "
            "for timestamp"
        )
        separator = next((sep for sep in ";\t|" if len(self.header) == 1 and sep in self.header[0]), None)
        if separator is not None:
            text += f"; the header seems separated by {separator!r}, but columns must be separated by commas"
        return text


def find_columns(header: list[str]) -> FoundColumns:
    """Match header names, ignoring case, surrounding spaces and a byte-order mark; the first
    name in TIMESTAMP_NAMES order that is present becomes the timestamp."""
    by_key: dict[str, str] = {}
    for name in header:
        by_key.setdefault(name.strip().lstrip("\ufeff").lower(), name)
    timestamp = next((by_key[key] for key in TIMESTAMP_NAMES if key in by_key), None)
    values = {key: by_key[key] for key in VALUE_NAMES if key in by_key}
    return FoundColumns(header=tuple(header), timestamp=timestamp, values=values)
