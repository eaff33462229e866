"""A real paper daemon fed by the fake TWS, alone and next to a ccxt feed: it trades, `tradloopctl
status` shows every stream, SIGTERM stops it cleanly."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.daemon.daemon_process import ROOT, Daemon
from tests.feeds.ib.ib_daemon_helpers import fake_tws_process, ib_feed_toml, paper_toml
from tradloopd.demo.binance import FakeBinance
from tradloopd.protocol import Fills, Status

pytestmark = pytest.mark.slow


def wait_for(predicate, timeout_s: float = 25.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)  # a real process in another address space: polling it is all there is
    raise AssertionError("condition not met in time")


def run_daemon(tmp_path, toml: str, symbols: list[str]) -> str:
    """Start the daemon, wait until it has filled orders on every symbol, stop it; its log."""
    state = tmp_path / "state"
    config = tmp_path / "daemon.toml"
    config.write_text(toml)
    daemon = Daemon(config, state, tmp_path / "daemon.log")
    try:
        daemon.start()
        with daemon.client() as client:
            wait_for(lambda: {f.symbol for f in client.request(Fills()).fills} >= set(symbols))
            status = client.request(Status())
        assert {key.split(" ")[0] for key in status.feed} == set(symbols)
        command = [sys.executable, "-m", "tradloopd.ctl_cli", "--state-dir", str(state), "status"]
        printed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=30,
                                 check=True).stdout
        assert all(symbol in printed for symbol in symbols), printed
        assert daemon.stop() == 0
    finally:
        if daemon.process is not None and daemon.process.poll() is None:
            daemon.kill()
    log = daemon.log()
    assert '"event": "node_stopped"' in log and "Traceback" not in log
    return log


def test_a_paper_daemon_trades_stocks_and_forex_on_bars_from_tws(tmp_path):
    symbols = ["AAPL", "EUR/USD"]
    with fake_tws_process() as port:
        toml = paper_toml(tmp_path / "state", ib_feed_toml(port, symbols), symbols)
        log = run_daemon(tmp_path, toml, symbols)
    assert log.count('"event": "strategy_warmed_up"') == 2
    assert '"venue": "ib"' in log and "feed_request_failed" not in log


def test_one_daemon_trades_crypto_and_ib_symbols_from_two_feeds(tmp_path):
    symbols = ["BTC/USDT", "AAPL"]
    with fake_tws_process() as port, FakeBinance() as binance:
        feeds = f"""
[feed]
exchange = "binance"
symbols = ["BTC/USDT"]
timeframes = ["1s"]
poll-s = 0.2
warmup-bars = 20
base-url = "{binance.url}"
rate-limit = false
{ib_feed_toml(port, ["AAPL"])}"""
        run_daemon(tmp_path, paper_toml(tmp_path / "state", feeds, symbols), symbols)
