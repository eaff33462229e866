"""A real daemon process: its config and a handle to start, query, kill and stop it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tradloopd.ctl import connect
from tradloopd.errors import TradloopError
from tradloopd.protocol import Status

ROOT = Path(__file__).resolve().parents[2]
CHURN = Path(__file__).with_name("churn_strategy.py")


def daemon_toml(state_dir: Path, base_url: str, *, extra: str = "") -> str:
    return f"""
[node]
id = "t"
state-dir = "{state_dir}"
heartbeat-s = 1
shutdown-grace-s = 5
log-format = "json"
log-level = "info"

[feed]
exchange = "binance"
symbols = ["BTC/USDT", "ETH/USDT"]
timeframes = ["1s"]
poll-s = 0.2
warmup-bars = 20
base-url = "{base_url}"
rate-limit = false
backoff-initial-s = 0.1
backoff-max-s = 1.0
request-timeout-s = 5

[[strategies]]
name = "{CHURN}"
timeframe = "1s"
symbols = ["BTC/USDT", "ETH/USDT"]

[venue]
cash = 1000000

[venue.simulator]
maker-fee = 0.0005
taker-fee = 0.001

[venue.instruments."BTC/USDT"]
price-increment = 0.01
size-increment = 0.0001

[venue.instruments."ETH/USDT"]
price-increment = 0.01
size-increment = 0.001
{extra}
"""


class Daemon:
    """`python -m tradloopd run` as a child process, with its log captured to a file."""

    def __init__(self, config: Path, state_dir: Path, log_path: Path,
                 env: dict[str, str] | None = None) -> None:
        self.config, self.state_dir, self.log_path = config, state_dir, log_path
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def socket(self) -> Path:
        return self.state_dir / "control.sock"

    def start(self, timeout_s: float = 30) -> Daemon:
        self.starts += 1
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tradloopd", "run", "--config", str(self.config)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        log.close()
        self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"daemon exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            try:
                with connect(self.socket, timeout_s=2) as client:
                    client.request(Status())
                    return
            except (TradloopError, OSError):
                time.sleep(0.05)
        raise AssertionError(f"daemon not ready after {timeout_s}s:\n{self.log()[-3000:]}")

    def client(self):  # type: ignore[no-untyped-def]
        return connect(self.socket, timeout_s=10)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout_s: float = 20) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout_s)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def run_to_exit(config: Path, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    """`tradloopd run` expected to refuse and exit: its exit code and output."""
    return subprocess.run([sys.executable, "-m", "tradloopd", "run", "--config", str(config)],
                          check=False, capture_output=True, text=True, timeout=timeout_s, cwd=ROOT)
