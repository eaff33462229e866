"""Candle timeframes ("1s", "1m", "1h", ...) and their lengths, as ccxt and Binance spell them.

The sub-minute ones other than "1s" ("5s", ...) are bar sizes Interactive Brokers serves.
"""

from __future__ import annotations

from tradloopd.errors import ConfigError

TIMEFRAME_MS: dict[str, int] = {
    "1s": 1_000,
    "5s": 5_000,
    "10s": 10_000,
    "15s": 15_000,
    "30s": 30_000,
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "3d": 259_200_000,
    "1w": 604_800_000,
}


def timeframe_ms(timeframe: str) -> int:
    """The length of one candle in milliseconds, or a ConfigError naming the supported timeframes."""
    try:
        return TIMEFRAME_MS[timeframe]
    except KeyError:
        known = ", ".join(TIMEFRAME_MS)
        raise ConfigError(f"unsupported timeframe {timeframe!r}: use one of {known}") from None
