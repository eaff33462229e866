"""`python -m tradloopd.demo.binance` runs the demo venue until SIGTERM or Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx
import pytest


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_demo_venue_prints_its_url_serves_and_stops_cleanly(stop_signal):
    process = subprocess.Popen(
        [sys.executable, "-W", "error", "-m", "tradloopd.demo.binance", "--port", "0",
         "--freeze-at", "2024-01-01T00:00:00Z", "--balance", "USDT=500"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = process.stdout.readline()
        url = banner.split(" on ")[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=url, timeout=10) as http:
            assert http.get("/api/v3/time").json() == {"serverTime": 1_704_067_200_000}
            assert http.post("/_fake/clock", json={"advance_ms": 60_000}).json()["frozen"] is True
            assert http.get("/api/v3/time").json() == {"serverTime": 1_704_067_260_000}
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, err
    assert "stopped" in out and err == ""
