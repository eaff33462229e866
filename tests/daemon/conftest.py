"""Fixtures: the fake exchange, and a daemon process configured against it."""

from __future__ import annotations

import pytest

from tests.daemon.daemon_process import Daemon, daemon_toml
from tradloopd.demo.binance import FakeBinance


@pytest.fixture
def exchange():
    with FakeBinance() as fake:
        yield fake


@pytest.fixture
def daemon(tmp_path, exchange):
    state = tmp_path / "state"
    config = tmp_path / "daemon.toml"
    config.write_text(daemon_toml(state, exchange.url))
    process = Daemon(config, state, tmp_path / "daemon.log")
    yield process
    if process.process is not None and process.process.poll() is None:
        process.kill()
