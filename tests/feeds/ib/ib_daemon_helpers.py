"""Helpers of the IB feed daemon tests: the fake TWS as a process, and daemon configs fed by it."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.daemon.daemon_process import CHURN, ROOT

READY = re.compile(r"fake TWS listening on [\d.]+:(\d+)")


@contextmanager
def fake_tws_process() -> Iterator[int]:
    """`python -m tradloopd.demo.tws` on a free port, prices following its bars; yields the port."""
    process = subprocess.Popen([sys.executable, "-m", "tradloopd.demo.tws", "--port", "0", "--walk-s", "0.5"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # printed once it listens
        ready = READY.search(line)
        assert ready, f"the fake TWS did not start: {line!r}"
        yield int(ready.group(1))
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def ib_feed_toml(port: int, symbols: list[str]) -> str:
    return f"""
[ib-feed]
port = {port}
client-id = 41
symbols = {symbols!r}
timeframes = ["1s"]
settle-s = 0.2
poll-s = 0.1
warmup-bars = 20
backoff-initial-s = 0.1
backoff-max-s = 1.0
request-timeout-s = 5
"""


def paper_toml(state_dir: Path, feeds: str, symbols: list[str]) -> str:
    """A paper daemon trading the churn strategy on 1-second bars of `symbols` from `feeds`."""
    instruments = {"BTC/USDT": ("0.01", "0.0001"), "AAPL": ("0.01", "0.1"), "EUR/USD": ("0.00005", "0.1")}
    tables = "".join(f'\n[venue.instruments."{s}"]\nprice-increment = {instruments[s][0]}\n'
                     f"size-increment = {instruments[s][1]}\n" for s in symbols)
    return f"""
[node]
id = "t"
state-dir = "{state_dir}"
heartbeat-s = 1
shutdown-grace-s = 5
log-format = "json"
{feeds}
[[strategies]]
name = "{CHURN}"
timeframe = "1s"
symbols = {symbols!r}

[venue]
cash = 1000000

[venue.simulator]
maker-fee = 0.0005
taker-fee = 0.001
{tables}"""
