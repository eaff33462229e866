"""The one place ccxt is called from for trading: the exchange object, calls from trio, its errors.

`ccxt.async_support` runs on asyncio; every call goes through `trio_asyncio.aio_as_trio`, so the
broker must run inside `trio_asyncio.open_loop()` (`tradloopd.brokers.live` opens one for all live
venues). ccxt's exceptions become `tradloopd.errors` types here, grouped by what the caller does:

- `InsufficientFunds` -> `InsufficientFunds`: the order is rejected with the venue's reason.
- `InvalidOrder`, `BadRequest`, `BadSymbol`, `NotSupported` -> `InvalidOrder`: rejected, likewise.
- `OrderNotFound` -> `OrderNotFound`: the venue has no such order.
- `DDoSProtection`, `RateLimitExceeded` -> `RateLimited` (with Retry-After): not handled; wait.
- `RequestTimeout`, `NetworkError`, `ExchangeNotAvailable`, an unreadable reply ->
  `VenueUnavailable`: the outcome is unknown; an order becomes unresolved.
- `AuthenticationError`, `PermissionDenied`, `AccountSuspended` -> `VenueAuthError`: fatal.

A rejection saying the client order id is already in use ("Duplicate order") is not a rejection
of this order: it means an earlier attempt arrived, so it is reported as `VenueUnavailable`
(outcome unknown) and the order is looked up.
"""

from __future__ import annotations

from typing import Any

import trio
import trio_asyncio

from tradloopd.brokers.ccxt.config import CcxtVenueConfig
from tradloopd.brokers.ccxt.profiles import Profile
from tradloopd.errors import (
    ConfigError,
    InsufficientFunds,
    InvalidOrder,
    VenueAuthError,
    VenueError,
    VenueUnavailable,
)
from tradloopd.feeds.ccxt_venue import AdvisedRateLimit, CcxtVenue

MESSAGE_CHARS = 300
CLOSE_TIMEOUT_S = 2.0
DUPLICATE_ID = ("duplicate order", "duplicate clientorderid", "clordid already exists",
                "orderlinkid is duplicate")


class OrderNotFound(VenueError):
    """The venue has no order with that id."""


def create_exchange(config: CcxtVenueConfig, profile: Profile, credentials: dict[str, str]) -> Any:
    """A ccxt async exchange for this account (not connected yet)."""
    import ccxt.async_support as ccxt_async

    factory = getattr(ccxt_async, config.exchange, None)
    if config.exchange not in ccxt_async.exchanges or factory is None:
        raise ConfigError(f"unknown ccxt exchange {config.exchange!r}: use an id from ccxt.exchanges, "
                          "like 'binance'")
    settings: dict[str, Any] = {
        "timeout": max(1, int(config.request_timeout_s * 1000)), "enableRateLimit": config.rate_limit,
        "enableLastResponseHeaders": True, "options": dict(profile.options),
    }
    for ours, theirs in (("api_key", "apiKey"), ("secret", "secret"), ("password", "password")):
        if credentials.get(ours):
            settings[theirs] = credentials[ours]
    exchange = factory(settings)
    if config.sandbox:
        exchange.set_sandbox_mode(True)
    if config.base_url:
        from tradloopd.demo.binance import point_ccxt_at

        point_ccxt_at(exchange, config.base_url)
    return exchange


class CcxtClient(CcxtVenue):
    """The feed's ccxt venue, trading too: any call, with the order errors translated as well (see
    the module docstring); Retry-After is read as the feed reads it."""

    def __init__(self, exchange: Any, *, name: str, call_timeout_s: float) -> None:
        super().__init__(exchange, call_timeout_s=call_timeout_s)
        self.name = name

    @property
    def exchange(self) -> Any:
        return self._exchange

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        import ccxt

        call = trio_asyncio.aio_as_trio(getattr(self.exchange, method))
        try:
            with trio.fail_after(self._call_timeout_s):
                return await call(*args, **kwargs)
        except trio.TooSlowError as exc:
            raise VenueUnavailable(f"{self.name} {method} took longer than {self._call_timeout_s} s") from exc
        except (ccxt.DDoSProtection, ccxt.RateLimitExceeded) as exc:
            raise AdvisedRateLimit(self._text(exc), self._retry_after_s()) from exc
        except (ccxt.AuthenticationError, ccxt.PermissionDenied, ccxt.AccountSuspended,
                ccxt.AccountNotEnabled) as exc:
            raise VenueAuthError(f"{self.name}: {self._text(exc)}") from exc
        except ccxt.InsufficientFunds as exc:
            raise InsufficientFunds(self._text(exc)) from exc
        except ccxt.OrderNotFound as exc:
            raise OrderNotFound(self._text(exc)) from exc
        except (ccxt.InvalidOrder, ccxt.BadRequest, ccxt.NotSupported) as exc:
            if any(words in str(exc).lower() for words in DUPLICATE_ID):
                raise VenueUnavailable(f"{self.name}: client order id already used: {exc}") from exc
            raise InvalidOrder(self._text(exc)) from exc
        except (ccxt.NetworkError, ccxt.BadResponse, ccxt.ExchangeNotAvailable) as exc:
            raise VenueUnavailable(f"{self.name} {method}: {self._text(exc)}") from exc
        except ccxt.BaseError as exc:
            raise VenueError(f"{self.name} {method}: {self._text(exc)}") from exc
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            raise VenueUnavailable(f"{self.name} {method}: unreadable reply ({exc!r})") from exc

    async def close(self) -> None:
        with trio.CancelScope(shield=True), trio.move_on_after(CLOSE_TIMEOUT_S):
            await trio_asyncio.aio_as_trio(self.exchange.close)()

    def _text(self, exc: Exception) -> str:
        """The venue's own words, without ccxt's 'binance {...}' wrapping where it can be read."""
        text = str(exc)
        prefix = f"{self.exchange.id} "
        if text.startswith(prefix):
            text = text[len(prefix):]
        return f"{type(exc).__name__}: {text}"[:MESSAGE_CHARS]
