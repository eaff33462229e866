"""The ib_async edge of the IB bar feed: its own TWS connection, contract lookup, historical bars.

Everything `ib_async` stays in this module (its import, objects and exceptions): callers get
`Candle`s, seconds and `tradloopd.errors` exceptions. Must be used inside a trio-asyncio loop.
Only `*Async` requests are made, each bounded by `request-timeout-s`; ib_async's own request
timeout is off, because it answers an empty list when it fires, which would look like a market
without bars. A request that times out stays open at TWS, so the connection is dropped and made
again (TWS forgets a client's requests when it goes).

Contracts are looked up like the IB broker does (`tradloopd.brokers.ib.contracts`: the same
symbol syntax and `contracts` overrides) and kept across reconnects.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import ib_async
import trio
import trio_asyncio

from tradloopd.brokers.ib.connect import connect
from tradloopd.brokers.ib.contracts import ContractSpec, contract_for
from tradloopd.brokers.ib.convert import ib_contract
from tradloopd.errors import ConfigError, RateLimited, VenueError, VenueUnavailable
from tradloopd.feeds.ib_pacing import HistoricalRequest
from tradloopd.feeds.stream import Candle

if TYPE_CHECKING:
    from tradloopd.feeds.ib_feed import IbFeedConfig

CLOSE_TIMEOUT_S = 2.0
EPOCH_SECONDS = 2  # reqHistoricalData formatDate: intraday bars dated in epoch seconds (UTC)
NO_DATA = "HMDS query returned no data"  # error 162 for a window without bars (market closed)
NOT_CONNECTED = frozenset({1100, 2110})  # TWS lost its own connection to IB


class _QuietNoData(logging.Filter):
    """ib_async logs every refused request as an error; an empty window is not one for the feed
    (a closed market answers it every bar), so that one record is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return NO_DATA not in record.getMessage()


_QUIET_NO_DATA = _QuietNoData()


class PacingViolation(RateLimited):
    """IB refused a historical data request for pacing (error 162)."""


@dataclass(frozen=True)
class Qualified:
    """A symbol's one IB contract, as historical requests need it."""

    contract: ib_async.Contract
    sec_type: str

    @property
    def con_id(self) -> int:
        return self.contract.conId

    @property
    def exchange(self) -> str:
        return self.contract.exchange


@asynccontextmanager
async def open_ib_source(config: IbFeedConfig, contracts: Mapping[str, ContractSpec],
                         known: dict[str, Qualified]) -> AsyncIterator[IbSource]:
    """A source for `config` (not connected yet); disconnected on exit. `known` caches contracts."""
    source = IbSource(config, contracts, known)
    try:
        yield source
    finally:
        with trio.CancelScope(shield=True), trio.move_on_after(CLOSE_TIMEOUT_S):
            await source.close()


class IbSource:
    """One `ib_async.IB` connection of the feed (see the module docstring)."""

    def __init__(self, config: IbFeedConfig, contracts: Mapping[str, ContractSpec],
                 known: dict[str, Qualified]) -> None:
        self.config = config
        self.ib = ib_async.IB()
        self.ib.RaiseRequestErrors = True  # a refused request raises instead of answering []
        logging.getLogger("ib_async.wrapper").addFilter(_QUIET_NO_DATA)  # added once however often
        self.contracts = known
        self._overrides = contracts

    @property
    def connected(self) -> bool:
        return self.ib.isConnected()

    async def connect(self) -> None:
        """Connect if not connected (no retries here: the feed backs off and calls again)."""
        if self.connected:
            return
        config = self.config
        await connect(self.ib, who="IB feed", host=config.host, port=config.port,
                      client_id=config.client_id, timeout_s=config.connect_timeout_s, readonly=True,
                      fetchFields=ib_async.StartupFetch(0))

    async def close(self) -> None:
        if self.connected:
            await trio_asyncio.aio_as_trio(_call)(self.ib.disconnect)

    async def server_time_s(self) -> int:
        """TWS's clock, in whole seconds."""
        when = await self._request("reqCurrentTime", self.ib.reqCurrentTimeAsync)
        return int(when.timestamp())

    async def qualify(self, symbols: list[str]) -> None:
        """Look each symbol's contract up once (ConfigError if IB has none or several)."""
        for symbol in symbols:
            if symbol not in self.contracts:
                self.contracts[symbol] = await self._qualify(symbol)

    async def bars(self, symbol: str, request: HistoricalRequest) -> list[Candle]:
        """The bars IB answers `request` with, as candles (an empty window is [])."""
        contract = self.contracts[symbol].contract
        try:
            found = await self._request(
                "reqHistoricalData", self.ib.reqHistoricalDataAsync, contract, request.end,
                request.duration, request.bar_size, request.what_to_show, request.use_rth, EPOCH_SECONDS,
                False, [], timeout=0)
        except ib_async.RequestError as exc:
            if exc.code == 162 and NO_DATA in exc.message:
                return []
            what = f"IB refused historical data for {symbol} ({request.bar_size} {request.what_to_show})"
            if exc.code == 162 and "pacing" in exc.message.lower():
                raise PacingViolation(f"{what}: {exc.message}") from exc
            if exc.code in NOT_CONNECTED:
                raise VenueUnavailable(f"{what}: {exc.code} {exc.message}") from exc
            raise VenueError(f"{what}: {exc.code} {exc.message}"[:300]) from exc
        return [_candle(symbol, bar) for bar in found]

    async def _qualify(self, symbol: str) -> Qualified:
        spec = contract_for(symbol, self._overrides)
        try:
            found = await self._request("reqContractDetails", self.ib.reqContractDetailsAsync,
                                        ib_contract(spec))
        except ib_async.RequestError as exc:
            if exc.code != 200:
                raise VenueError(f"IB feed: looking up {symbol!r}: {exc.code} {exc.message}") from exc
            found = []
        matching = [d.contract for d in found
                    if d.contract is not None and d.contract.secType == spec.sec_type]
        if len(matching) != 1:
            what = "no contract" if not matching else f"{len(matching)} contracts"
            raise ConfigError(f"IB has {what} for {symbol!r} ({spec.sec_type} {spec.symbol} on "
                              f"{spec.exchange} in {spec.currency}); give it in ib-feed.contracts")
        contract = matching[0]
        if spec.exchange == "SMART":
            contract.exchange = "SMART"  # IB's consolidated data, not one listing exchange's
        return Qualified(contract, spec.sec_type)

    async def _request(self, name: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        """One `ib_async` request, bounded by `request-timeout-s`; a timeout drops the connection."""
        timeout_s = self.config.request_timeout_s
        try:
            with trio.fail_after(timeout_s):
                return await trio_asyncio.aio_as_trio(method)(*args, **kwargs)
        except trio.TooSlowError as exc:
            await self.close()
            raise VenueUnavailable(f"IB feed: IB did not answer {name} within {timeout_s} s") from exc
        except ConnectionError as exc:
            raise VenueUnavailable(f"IB feed: connection to IB lost during {name}") from exc


async def _call(function: Any) -> Any:
    return function()


def _candle(symbol: str, bar: Any) -> Candle:
    """An IB bar as a candle: its open time in ms (a daily bar's date is its UTC day)."""
    when = bar.date
    if isinstance(when, datetime):
        ts_ms = round(when.timestamp()) * 1000
    elif isinstance(when, date):
        ts_ms = round(datetime(when.year, when.month, when.day, tzinfo=UTC).timestamp()) * 1000
    else:
        raise VenueUnavailable(f"IB sent a {symbol} bar dated {when!r}")
    prices = (float(bar.open), float(bar.high), float(bar.low), float(bar.close))
    if not all(math.isfinite(price) for price in prices):
        raise VenueUnavailable(f"IB sent a {symbol} bar with prices {prices}")
    volume = float(bar.volume)
    return Candle(ts_ms, *prices, volume if math.isfinite(volume) and volume > 0 else 0.0)
