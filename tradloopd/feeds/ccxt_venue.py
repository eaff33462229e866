"""The ccxt edge of the live feed: one `ccxt.async_support` exchange, driven from trio via trio-asyncio.

Everything ccxt stays in this module: its (slow) import, its exceptions and its lists of numbers.
Callers get `Candle`s, server times and `tradloopd.errors` exceptions. Calls go one at a time per
venue, which is what makes `last_response_headers` (read for Retry-After) belong to the failed call.
Must be used inside `trio_asyncio.open_loop()`.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import trio
import trio_asyncio

from tradloopd.errors import ConfigError, RateLimited, VenueAuthError, VenueError, VenueUnavailable
from tradloopd.feeds.stream import Candle

CLOSE_TIMEOUT_S = 2.0
MESSAGE_CHARS = 300
# Options that keep load_markets to the one spot request (binance would also load futures and margin).
SPOT_ONLY_OPTIONS: dict[str, dict[str, object]] = {
    "binance": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False},
}


class MalformedResponse(VenueUnavailable):
    """The venue answered, but not with what its API promises (invalid JSON, rows that are not numbers)."""


class AdvisedRateLimit(RateLimited):
    """The venue asked us to slow down, and how long to wait if it said (HTTP Retry-After)."""

    def __init__(self, message: str, retry_after_s: float | None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@asynccontextmanager
async def open_ccxt_venue(exchange_id: str, *, base_url: str = "", timeout_s: float = 10.0,
                          rate_limit: bool = True) -> AsyncIterator[CcxtVenue]:
    """A venue for `exchange_id`, pointed at `base_url` if given; the exchange is closed on exit."""
    import ccxt.async_support as ccxt_async

    factory = getattr(ccxt_async, exchange_id, None)
    if exchange_id not in ccxt_async.exchanges or factory is None:
        raise ConfigError(f"unknown ccxt exchange {exchange_id!r}: use an id from ccxt.exchanges, "
                          "like 'binance'")
    exchange = factory({"timeout": max(1, int(timeout_s * 1000)), "enableRateLimit": rate_limit,
                        "enableLastJsonResponse": True, "enableLastResponseHeaders": True,
                        "options": SPOT_ONLY_OPTIONS.get(exchange_id, {})})
    if base_url:
        from tradloopd.demo.binance import point_ccxt_at

        point_ccxt_at(exchange, base_url)
    try:
        yield CcxtVenue(exchange, call_timeout_s=2 * timeout_s + 1.0)
    finally:
        with trio.CancelScope(shield=True), trio.move_on_after(CLOSE_TIMEOUT_S):
            await trio_asyncio.aio_as_trio(exchange.close)()


class CcxtVenue:
    """Market data calls on one ccxt exchange, with ccxt's errors translated at the edge."""

    def __init__(self, exchange: Any, *, call_timeout_s: float) -> None:
        self._exchange = exchange
        self._call_timeout_s = call_timeout_s
        self.name: str = exchange.id

    @property
    def has_time(self) -> bool:
        return bool(self._exchange.has.get("fetchTime"))

    async def load_markets(self) -> None:
        markets = await self._call("load_markets", True)
        if not isinstance(markets, dict) or not markets:
            raise MalformedResponse(f"{self.name} returned no markets")

    def check(self, symbol: str, timeframe: str) -> None:
        """Refuse, with what to do, a symbol or timeframe this exchange does not have."""
        if symbol not in self._exchange.markets:
            raise ConfigError(f"{self.name} has no market {symbol!r}: use a ccxt unified symbol like "
                              "'BTC/USDT'")
        timeframes = self._exchange.timeframes or {}
        if timeframe not in timeframes:
            raise ConfigError(f"{self.name} has no {timeframe!r} candles: use one of "
                              + ", ".join(timeframes))

    async def server_time_ms(self) -> int:
        value = await self._call("fetch_time")
        if not isinstance(value, int) or isinstance(value, bool):
            raise MalformedResponse(f"{self.name} server time is {value!r}, not milliseconds")
        return value

    async def fetch_candles(self, symbol: str, timeframe: str, *, since_ms: int | None,
                            limit: int) -> list[Candle]:
        rows = await self._call("fetch_ohlcv", symbol, timeframe, since=since_ms, limit=limit)
        return _candles(self.name, rows)

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        import ccxt

        call = trio_asyncio.aio_as_trio(getattr(self._exchange, method))
        try:
            with trio.fail_after(self._call_timeout_s):
                result = await call(*args, **kwargs)
        except trio.TooSlowError as exc:
            raise VenueUnavailable(f"{self.name} {method} took longer than {self._call_timeout_s} s") from exc
        except ccxt.DDoSProtection as exc:
            raise AdvisedRateLimit(_message(exc), self._retry_after_s()) from exc
        except (ccxt.AuthenticationError, ccxt.PermissionDenied, ccxt.AccountSuspended,
                ccxt.AccountNotEnabled) as exc:
            raise VenueAuthError(_message(exc)) from exc
        except ccxt.BadResponse as exc:
            raise MalformedResponse(_message(exc)) from exc
        except ccxt.OperationFailed as exc:
            raise VenueUnavailable(_message(exc)) from exc
        except ccxt.BaseError as exc:
            raise VenueError(_message(exc)) from exc
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            raise MalformedResponse(f"{self.name} {method}: unreadable reply ({exc!r})") from exc
        body = self._exchange.last_http_response
        if body and self._exchange.last_json_response is None:
            # ccxt hands a body that is not JSON to its parsers as a string, which can yield [].
            raise MalformedResponse(f"{self.name} {method}: reply is not JSON: {body[:80]!r}")
        return result

    def _retry_after_s(self) -> float | None:
        headers = self._exchange.last_response_headers or {}
        for name, value in headers.items():
            if name.lower() == "retry-after":
                try:
                    seconds = float(value)
                except ValueError:
                    return None
                return seconds if math.isfinite(seconds) and seconds >= 0 else None
        return None


def _candles(venue: str, rows: object) -> list[Candle]:
    if not isinstance(rows, list):
        raise MalformedResponse(f"{venue} OHLCV reply is {type(rows).__name__}, not a list")
    candles = []
    for row in rows:
        if not (isinstance(row, list) and len(row) >= 6 and _is_int(row[0])
                and all(_is_number(value) for value in row[1:6])):
            raise MalformedResponse(f"{venue} OHLCV row {str(row)[:MESSAGE_CHARS]} is not "
                                    "[time, open, high, low, close, volume]")
        candles.append(Candle(row[0], *(float(value) for value in row[1:6])))
    return candles


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _message(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:MESSAGE_CHARS]
