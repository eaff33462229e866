"""One TWS / IB Gateway connection through `ib_async`, re-made after a restart, and its requests.

`IbSession` owns the `ib_async.IB` object. It connects with capped exponential back-off, checks
the account, looks contracts up, and makes the requests the broker needs — each bounded by
`request-timeout-s`, with `ib_async`'s exceptions turned into ours. It knows nothing of orders'
meaning: the broker listens to the events it exposes and decides.

Pacing: IB drops clients sending more than 50 messages a second. `ib_async`'s client queues what
goes beyond `MaxRequests` messages per `RequestsInterval` seconds and sends it later; the session
sets that to `max-messages-per-s` (default 45) a second, so a burst is delayed, never refused.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import ib_async
import structlog
import trio
import trio_asyncio

from tradloopd.brokers.ib import convert
from tradloopd.brokers.ib.config import IbVenueConfig
from tradloopd.brokers.ib.connect import connect
from tradloopd.brokers.ib.contracts import contract_for
from tradloopd.brokers.ib.tracker import ExecutionReport, VenueOrderState
from tradloopd.errors import ConfigError, VenueAuthError, VenueError, VenueUnavailable
from tradloopd.feeds.backoff import Backoff
from tradloopd.model import Instrument

log = structlog.get_logger()
T = TypeVar("T")
# Orders and executions are fetched by the broker itself after connecting, to match them to ours.
SYNC_AT_CONNECT = (ib_async.StartupFetch.POSITIONS | ib_async.StartupFetch.ACCOUNT_UPDATES
                   | ib_async.StartupFetch.SUB_ACCOUNT_UPDATES)


class IbSession:
    """The connection, the account it trades, and our symbols' contracts (see the module docstring)."""

    def __init__(self, name: str, config: IbVenueConfig, *, account: str,
                 rng: random.Random | None = None) -> None:
        self.name = name
        self.config = config
        self.account = account
        self.ib = ib_async.IB()
        self.ib.client.MaxRequests = config.max_messages_per_s
        self.ib.client.RequestsInterval = 1  # second
        self.generation = 0  # connections made so far
        self.contracts: dict[str, ib_async.Contract] = {}
        self.instruments: dict[str, Instrument] = {}
        self.known: dict[int, str] = {}  # IB conId -> our symbol
        self._backoff = Backoff(initial_s=config.reconnect_initial_s, max_s=config.reconnect_max_s, rng=rng)
        self._reconnecting = trio.Lock()

    @property
    def connected(self) -> bool:
        return self.ib.isConnected()

    async def open(self) -> None:
        """Connect, retrying with capped exponential back-off for up to `reconnect-timeout-s`."""
        deadline = trio.current_time() + self.config.reconnect_timeout_s
        while True:
            try:
                await self._connect()
                return
            except VenueUnavailable as exc:
                delay = self._backoff.next_delay_s()
                if trio.current_time() + delay > deadline:
                    limit = self.config.reconnect_timeout_s
                    raise VenueUnavailable(f"{exc} (gave up after {limit} s)") from exc
                log.warning("ib_connect_failed", venue=self.name, error=str(exc), retry_in_s=delay)
                await trio.sleep(delay)  # back-off before the next attempt, not synchronisation

    async def reopen(self) -> bool:
        """Reconnect if the connection is gone (one caller at a time); True if it had to."""
        async with self._reconnecting:
            if self.connected:
                return False
            await self.open()
            return True

    async def close(self) -> None:
        if self.connected:
            await self.call(self.ib.disconnect)

    async def _connect(self) -> None:
        config = self.config
        where = f"{config.host}:{config.port} as client {config.client_id}"
        await connect(self.ib, who=self.name, host=config.host, port=config.port,
                      client_id=config.client_id, timeout_s=config.connect_timeout_s,
                      account=self.account, raiseSyncErrors=True, fetchFields=SYNC_AT_CONNECT)
        await self._check_account(where)
        self.generation += 1
        self._backoff.reset()

    async def _check_account(self, where: str) -> None:
        accounts = self.ib.managedAccounts()
        if self.account and self.account not in accounts:
            await self.call(self.ib.disconnect)
            raise VenueAuthError(f"{self.name}: account {self.account} is not managed by the IB login at "
                                 f"{where} (it manages {', '.join(accounts) or 'none'})")
        if not self.account:
            if len(accounts) != 1:
                await self.call(self.ib.disconnect)
                raise ConfigError(f"{self.name}: the IB login manages several accounts "
                                  f"({', '.join(accounts)}): set venue.ib.account or account-env")
            self.account = accounts[0]

    # Contracts --------------------------------------------------------------------------------

    async def qualify(self, symbols: list[str]) -> None:
        """Each symbol's one IB contract, with its tick and lot (ConfigError names the ones IB has
        none or several of)."""
        unknown: list[ConfigError] = []
        lost: list[VenueError] = []

        async def qualify(symbol: str) -> None:
            try:
                await self._qualify_one(symbol)
            except ConfigError as exc:
                unknown.append(exc)
            except VenueError as exc:
                lost.append(exc)

        async with trio.open_nursery() as nursery:
            for symbol in symbols:
                nursery.start_soon(qualify, symbol)
        if lost:
            raise lost[0]
        if unknown:
            raise ConfigError("; ".join(sorted(str(exc) for exc in unknown)))

    async def _qualify_one(self, symbol: str) -> None:
        spec = contract_for(symbol, self.config.contracts)
        found = await self.request("reqContractDetails", self.ib.reqContractDetailsAsync,
                                   convert.ib_contract(spec))
        matching = [d for d in found if d.contract is not None and d.contract.secType == spec.sec_type]
        if len(matching) != 1:
            what = "no contract" if not matching else f"{len(matching)} contracts"
            raise ConfigError(f"{self.name}: IB has {what} for {symbol!r} ({spec.sec_type} {spec.symbol} on "
                              f"{spec.exchange} in {spec.currency}); give it in venue.ib.contracts")
        contract = matching[0].contract
        assert contract is not None
        if spec.exchange == "SMART":
            contract.exchange = "SMART"  # route through IB's smart router, not the listing exchange
        if self.known.get(contract.conId, symbol) != symbol:
            raise ConfigError(f"{self.name}: {self.known[contract.conId]!r} and {symbol!r} are the same IB "
                              f"contract (conId {contract.conId}): trade it under one symbol")
        self.contracts[symbol] = contract
        self.known[contract.conId] = symbol
        self.instruments[symbol] = convert.instrument(symbol, matching[0])

    # Requests ---------------------------------------------------------------------------------

    async def orders_and_fills(
            self) -> tuple[list[ib_async.Trade], list[VenueOrderState], list[ExecutionReport]]:
        """IB's open trades of this client, then our orders it lists (open, then completed) and
        our executions it knows, converted."""
        open_trades = await self.request("reqOpenOrders", self.ib.reqOpenOrdersAsync)
        done_trades = await self.request("reqCompletedOrders", self.ib.reqCompletedOrdersAsync, False)
        await self.request("reqExecutions", self.ib.reqExecutionsAsync)
        states = [s for t in (*open_trades, *done_trades) if (s := convert.order_state(t, self.known))]
        return open_trades, states, self.reports()

    def reports(self) -> list[ExecutionReport]:
        """Our executions of this session whose commission report has come (the rest come live)."""
        return [r for f in self.ib.fills() if f.commissionReport.execId
                and (r := convert.execution_report(f, self.known)) is not None]

    async def request(self, name: str, method: Callable[..., Awaitable[T]], *args: Any) -> T:
        """One `ib_async` request, bounded by `request-timeout-s`."""
        try:
            with trio.fail_after(self.config.request_timeout_s):
                return await trio_asyncio.aio_as_trio(method)(*args)
        except trio.TooSlowError as exc:
            raise VenueUnavailable(f"{self.name}: IB did not answer {name} within "
                                   f"{self.config.request_timeout_s} s") from exc
        except ConnectionError as exc:
            raise VenueUnavailable(f"{self.name}: connection to IB lost during {name}") from exc

    @staticmethod
    async def call(function: Callable[..., T], *args: Any) -> T:
        """Run a plain `ib_async` call (placeOrder, cancelOrder, ...) inside the asyncio loop."""
        async def call() -> T:
            return function(*args)
        return await trio_asyncio.aio_as_trio(call)()
