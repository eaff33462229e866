"""Fixtures for the control server tests: a fake backend and the real server on a real socket."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import structlog
import trio
from control_harness import ServerThread, short_socket_path
from fake_backend import FakeBackend

from tradloopd.actors.control import serve_control


@pytest.fixture(autouse=True)
def logs() -> Iterator[list[dict[str, object]]]:
    """The structlog events of the test (server threads included), kept out of the output."""
    with structlog.testing.capture_logs() as events:
        yield events


@pytest.fixture
def socket_path(tmp_path: Path) -> Iterator[Path]:
    with short_socket_path(tmp_path) as path:
        yield path


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
async def server(nursery: trio.Nursery, socket_path: Path, backend: FakeBackend) -> Path:
    """The control server listening at `socket_path` for the test's duration."""
    await nursery.start(partial(serve_control, socket_path, backend))
    return socket_path


@pytest.fixture
def served(socket_path: Path, backend: FakeBackend) -> Iterator[ServerThread]:
    """The control server in a thread of its own, for blocking clients and subprocesses."""
    with ServerThread(socket_path, backend) as server:
        yield server
