"""Fixtures: a fake daemon on a short socket path (Unix socket paths are limited to ~100 bytes)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.monitor.fake_daemon import FakeDaemon


@pytest.fixture
def short_dir():
    path = Path(tempfile.mkdtemp(prefix="mon-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def fake(short_dir):
    with FakeDaemon(short_dir / "control.sock") as daemon:
        yield daemon
