"""The daemon in live-ccxt mode against the fake Binance: its config, and what the venue holds."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tradloopd.demo.binance import FakeBinance

STRATEGY = Path(__file__).with_name("live_strategy.py")
KEY, SECRET = "live-KEY-a1b2c3d4e5f6", "live-SECRET-z9y8x7w6v5u4"
ENV = {"TEST_LIVE_KEY": KEY, "TEST_LIVE_SECRET": SECRET}
BALANCES = {"USDT": Decimal(10_000), "BTC": Decimal(0), "ETH": Decimal(0), "BNB": Decimal(5)}


def live_toml(state_dir: Path, base_url: str) -> str:
    return f"""
[node]
id = "live"
state-dir = "{state_dir}"
heartbeat-s = 1
shutdown-grace-s = 5
log-format = "json"

[feed]
exchange = "binance"
symbols = ["BTC/USDT", "ETH/USDT"]
timeframes = ["1s"]
poll-s = 0.2
warmup-bars = 5
base-url = "{base_url}"
rate-limit = false
backoff-initial-s = 0.1
backoff-max-s = 1.0
request-timeout-s = 5

[[strategies]]
name = "{STRATEGY}"
timeframe = "1s"

[venue]
kind = "ccxt"
cash = 10000
poll-s = 0.2
resolve-grace-s = 1

[venue.reconcile]
interval-s = 2

[venue.ccxt.binance]
exchange = "binance"
base-url = "{base_url}"
rate-limit = false
request-timeout-s = 3
backoff-initial-s = 0.05
backoff-max-s = 0.5

[credentials]
api-key-env = "TEST_LIVE_KEY"
secret-env = "TEST_LIVE_SECRET"
"""


def live_exchange() -> FakeBinance:
    """The venue: keys checked, fees paid in BNB (so spot balances equal positions exactly)."""
    return FakeBinance(api_keys={KEY: SECRET}, balances=dict(BALANCES), fee_asset="BNB")
