"""Fixtures for the data tests: small bar files written into tmp_path."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

HEADER = "timestamp,open,high,low,close,volume"


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


@pytest.fixture
def run_python() -> Callable[[str], str]:
    """Run code in a fresh interpreter on this checkout (nothing imported yet); returns stdout."""
    repo = Path(__file__).resolve().parents[2]

    def run(code: str) -> str:
        env = {**os.environ, "PYTHONPATH": str(repo)}
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            cwd=repo,
            env=env,
            check=True,
        )
        return done.stdout

    return run
