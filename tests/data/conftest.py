"""Fixtures for the data tests: small bar files written into tmp_path, and the shared real data."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from pathlib import Path

import pytest

HEADER = "timestamp,open,high,low,close,volume"


def shared_data_dir() -> Path | None:
    """`../shared/data` next to the repository, or $TRADLOOPD_SHARED_DATA; None if absent."""
    configured = os.environ.get("TRADLOOPD_SHARED_DATA")
    root = Path(configured) if configured else Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
    return root if root.is_dir() else None


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., str]:
    """Write CSV lines (header added unless given) to tmp_path; returns the path as text."""

    def write(*rows: str, name: str = "bars.csv", header: str | None = HEADER) -> str:
        lines = ([header] if header is not None else []) + list(rows)
        text = "\n".join(lines) + "\n"
        path = tmp_path / name
        if name.endswith(".gz"):
            with gzip.open(path, "wt", encoding="utf-8") as stream:
                stream.write(text)
        else:
            path.write_text(text, encoding="utf-8")
        return str(path)

    return write
