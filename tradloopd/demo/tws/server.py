"""A fake TWS on 127.0.0.1 that the real `ib_async` client connects to and trades with.

`open_fake_tws()` starts one in the caller's trio run and yields the `FakeTws`; a test moves prices
with `set_price`, arms faults through `faults`, drops or restarts connections, and reads what the
client sent from `requests`. It speaks the TWS API at server version 176: the handshake, startApi
(nextValidId, managedAccounts), the requests `IB.connectAsync` sends to synchronise (positions,
open and completed orders, account updates, account updates multi, executions), contract details,
placeOrder / cancelOrder with openOrder, orderStatus, execDetails and commissionReport, positions,
account values, the account summary, and historical bars (`history`: synthetic, deterministic per
contract and time; `follow_bars` moves prices along them). Like TWS it refuses a second connection
with a client id in use (error 326) and counts clients that send more than 50 messages a second
(error 100).
"""

from __future__ import annotations

import contextlib
import traceback
from collections import deque
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal

import trio

from tradloopd.clock import Clock, WallClock
from tradloopd.demo.tws import inbound as req
from tradloopd.demo.tws import outbound
from tradloopd.demo.tws.account import Account
from tradloopd.demo.tws.catalog import DEFAULT_LISTINGS, Listing, match
from tradloopd.demo.tws.exchange import Exchange, Outgoing
from tradloopd.demo.tws.faults import FaultPlan, LoggedRequest, RequestLog
from tradloopd.demo.tws.history import HistoricalData
from tradloopd.demo.tws.outbound import Message
from tradloopd.demo.tws.wire import (
    HANDSHAKE_PREFIX,
    FieldReader,
    Frames,
    WireError,
    client_versions,
    encode,
    split_fields,
)

DEFAULT_ACCOUNT = "DU1234567"
PACING_LIMIT = 50  # messages a client may send in any one second
FLUSH_S = 1.0  # how long a closing connection may take to send what is queued
READ_BYTES = 65536
FARM_NOTICES = ((2104, "Market data farm connection is OK:usfarm"),
                (2106, "HMDS data farm connection is OK:ushmds"),
                (2158, "Sec-def data farm connection is OK:secdefnj"))


class Session:
    """One client connection: its API client id once started, and its outgoing queue."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.client_id: int | None = None
        self.scope = trio.CancelScope()
        self.muted = False  # a Drop fault: handle the request, answer nothing, then close
        self.hanging_up = False  # read nothing more; send what is queued, then close
        self.sent_at: deque[float] = deque()
        self.flushed = trio.Event()
        self._send, self._outbox = trio.open_memory_channel[bytes](float("inf"))

    def send(self, fields: Message) -> None:
        if not self.muted:
            with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
                self._send.send_nowait(encode(fields))

    def hang_up(self) -> None:
        self.hanging_up = True
        self._send.close()

    async def write_all(self) -> None:
        """Send what is queued until the session hangs up; a peer gone away ends the session."""
        try:
            async for data in self._outbox:
                await self.stream.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            self.scope.cancel()
        self.flushed.set()


class FakeTws:
    """The fake: an exchange core shared by every connection, a fault plan and a request log."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, clock: Clock | None = None,
                 account: str = DEFAULT_ACCOUNT, listings: tuple[Listing, ...] = DEFAULT_LISTINGS,
                 cash: dict[str, Decimal] | None = None, seed: int = 7) -> None:
        self.host = host
        self.port = port
        self.clock = clock if clock is not None else WallClock()
        self.faults = FaultPlan()
        self.requests = RequestLog()
        self.exchange = Exchange(clock=self.clock, listings=listings, faults=self.faults,
                                 account=Account(account, cash or {"USD": Decimal(1_000_000)}))
        self.history = HistoricalData(listings, self.clock, seed=seed)
        self.internal_errors: list[str] = []
        self.pacing_violations = 0
        self.connections = 0
        self._sessions: set[Session] = set()
        self._nursery: trio.Nursery | None = None
        self._serving: trio.CancelScope | None = None
        self._stopped = trio.Event()
        self._handlers: dict[int, Callable[[Session, list[str]], None]] = {
            req.START_API: self._start_api, req.REQ_IDS: self._ids,
            req.REQ_MANAGED_ACCTS: lambda s, f: s.send(outbound.managed_accounts([self.account])),
            req.REQ_CURRENT_TIME: self._current_time, req.REQ_CONTRACT_DETAILS: self._contract_details,
            req.PLACE_ORDER: self._place_order, req.CANCEL_ORDER: self._cancel_order,
            req.REQ_OPEN_ORDERS: lambda s, f: self._reply(s, self.exchange.open_orders(s.client_id)),
            req.REQ_ALL_OPEN_ORDERS: lambda s, f: self._reply(s, self.exchange.open_orders(None)),
            req.REQ_COMPLETED_ORDERS: lambda s, f: self._reply(s, self.exchange.completed_orders()),
            req.REQ_EXECUTIONS: lambda s, f: self._reply(
                s, self.exchange.execution_reports(req.read_executions_request(f))),
            req.REQ_POSITIONS: self._positions, req.REQ_ACCOUNT_UPDATES: self._account_updates,
            req.REQ_ACCOUNT_UPDATES_MULTI: self._account_updates_multi,
            req.REQ_ACCOUNT_SUMMARY: self._account_summary, req.REQ_GLOBAL_CANCEL: self._global_cancel,
            req.REQ_HISTORICAL_DATA: self._historical_data,
        }
        self._ignored = {req.CANCEL_POSITIONS, req.CANCEL_ACCOUNT_SUMMARY, req.CANCEL_ACCOUNT_UPDATES_MULTI,
                         req.REQ_AUTO_OPEN_ORDERS, req.REQ_MARKET_DATA_TYPE, req.CANCEL_MKT_DATA,
                         req.CANCEL_HISTORICAL_DATA}

    @property
    def account(self) -> str:
        return self.exchange.account.code

    @property
    def client_ids(self) -> set[int]:
        """API client ids connected now."""
        return {s.client_id for s in self._sessions if s.client_id is not None}

    # Test and demo controls ---------------------------------------------------------------------

    def listing(self, symbol: str) -> Listing:
        """The contract with this local symbol (`ESZ6`, `EUR.USD`) or, failing that, symbol."""
        for key in ("local_symbol", "symbol"):
            for listing in self.exchange.listings:
                if getattr(listing, key) == symbol:
                    return listing
        raise KeyError(f"the fake TWS lists no contract {symbol!r}")

    def price(self, symbol: str) -> Decimal:
        return self.exchange.prices[self.listing(symbol).con_id]

    def set_price(self, symbol: str, price: Decimal | str) -> None:
        """Move a contract's price; orders it reaches fill and their clients are told."""
        self._route(self.exchange.set_price(self.listing(symbol).con_id, Decimal(price)))

    def follow_bars(self) -> None:
        """Move every price to its historical bars' price now, so orders fill where bars trade."""
        now = self.clock.now_ns()
        for listing in self.exchange.listings:
            self._route(self.exchange.set_price(listing.con_id, self.history.price(listing, now)))

    def drop_connections(self) -> None:
        """Close every client connection now (TWS crashed or the network broke)."""
        for session in list(self._sessions):
            session.scope.cancel()

    async def start(self) -> None:
        """Listen on `port` (a free one if 0; `port` then tells which)."""
        if self._nursery is None:
            raise RuntimeError("use open_fake_tws() to run a FakeTws")
        self._stopped = trio.Event()
        await self._nursery.start(self._serve)

    async def stop(self) -> None:
        """Stop listening and close every connection; the account and orders stay."""
        if self._serving is not None:
            self._serving.cancel()
            await self._stopped.wait()
            self._serving = None

    async def restart(self) -> None:
        """Like a TWS restart: connections drop, the port refuses for a moment, then listens again."""
        await self.stop()
        await self.start()

    # Serving ----------------------------------------------------------------------------------

    async def _serve(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(self.port, host=self.host)
        self.port = listeners[0].socket.getsockname()[1]
        try:
            with trio.CancelScope() as self._serving:
                async with trio.open_nursery() as handlers:
                    task_status.started()
                    await trio.serve_listeners(self._connection, listeners, handler_nursery=handlers)
        finally:
            for listener in listeners:
                await trio.aclose_forcefully(listener)
            self._stopped.set()

    async def _connection(self, stream: trio.SocketStream) -> None:
        session = Session(stream)
        self._sessions.add(session)
        self.connections += 1
        try:
            with session.scope:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(session.write_all)
                    await self._read_until_closed(session, nursery)
                    session.hang_up()
                    with trio.move_on_after(FLUSH_S):
                        await session.flushed.wait()
                    nursery.cancel_scope.cancel()
        except Exception:
            self.internal_errors.append(traceback.format_exc())
        finally:
            self._sessions.discard(session)
            await trio.aclose_forcefully(stream)

    async def _read_until_closed(self, session: Session, nursery: trio.Nursery) -> None:
        # the client went away, or does not speak the protocol: drop it
        with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError, WireError):
            await self._read(session, nursery)

    async def _read(self, session: Session, nursery: trio.Nursery) -> None:
        frames = Frames()

        async def next_payload() -> bytes | None:
            while (payload := frames.take()) is None:
                data = await session.stream.receive_some(READ_BYTES)
                if not data:
                    return None
                frames.feed(data)
            return payload

        while not frames.take_prefix(HANDSHAKE_PREFIX):
            data = await session.stream.receive_some(READ_BYTES)
            if not data:
                return
            frames.feed(data)
        versions = await next_payload()
        if versions is None:
            return
        low, high = client_versions(versions)
        if not low <= req.SERVER_VERSION <= high:
            return  # TWS closes the socket on a version range it cannot serve
        connected_at = datetime.fromtimestamp(self.clock.now_ns() / 1e9, tz=UTC)
        session.send([req.SERVER_VERSION, connected_at.strftime("%Y%m%d %H:%M:%S UTC")])
        while not (session.scope.cancel_called or session.hanging_up) and (
                payload := await next_payload()) is not None:
            self._receive(session, split_fields(payload), nursery)  # a Drop stops it reading on

    def _receive(self, session: Session, fields: list[str], nursery: trio.Nursery) -> None:
        if not fields or not fields[0].isdigit():
            raise WireError(f"a message must start with its numeric id, not {fields[:1]!r}")
        msg_id = int(fields[0])
        name = req.NAMES.get(msg_id, f"message {msg_id}")
        self._pace(session)
        client = FieldReader(fields, start=2).integer() if msg_id == req.START_API else session.client_id
        self.requests.append(LoggedRequest(client_id=-1 if client is None else client, name=name,
                                           fields=fields, at=trio.current_time()))
        drop = self.faults.take_drop(name)
        if drop is not None:
            session.muted = True
            if drop.after_handling:
                self._dispatch(session, fields)
            session.scope.cancel()
            return
        delay = self.faults.take_delay(name)
        if delay is not None:
            nursery.start_soon(self._later, delay.delay_s, session, fields)
            return
        self._dispatch(session, fields)

    async def _later(self, delay_s: float, session: Session, fields: list[str]) -> None:
        await trio.sleep(delay_s)  # a slow TWS on purpose, not synchronisation
        self._dispatch(session, fields)

    def _dispatch(self, session: Session, fields: list[str]) -> None:
        msg_id = int(fields[0])
        handler = self._handlers.get(msg_id)
        if handler is not None:
            handler(session, fields)
        elif msg_id not in self._ignored:
            session.send(outbound.error(-1, 10000 + msg_id, f"The fake TWS does not serve message {msg_id}"))

    def _pace(self, session: Session) -> None:
        now = trio.current_time()
        session.sent_at.append(now)
        while session.sent_at and now - session.sent_at[0] > 1.0:
            session.sent_at.popleft()
        if len(session.sent_at) > PACING_LIMIT:
            self.pacing_violations += 1
            session.send(outbound.error(-1, 100, "Max rate of messages per second has been exceeded:"
                                        f"max={PACING_LIMIT} rec={len(session.sent_at)}"))

    def _route(self, updates: list[Outgoing]) -> None:
        sessions = {s.client_id: s for s in self._sessions if s.client_id is not None}
        for client_id, message in updates:
            session = sessions.get(client_id)
            if session is not None:
                session.send(message)

    @staticmethod
    def _reply(session: Session, messages: list[Message]) -> None:
        for message in messages:
            session.send(message)

    # Request handlers -------------------------------------------------------------------------

    def _start_api(self, session: Session, fields: list[str]) -> None:
        client_id = FieldReader(fields, start=2).integer()
        if client_id in self.client_ids:
            session.send(outbound.error(-1, 326, "Unable to connect as the client id is already in use. "
                                               "Retry with a unique client id."))
            session.hang_up()
            return
        session.client_id = client_id
        session.send(outbound.managed_accounts([self.account]))
        session.send(outbound.next_valid_id(self.exchange.next_order_id))
        for code, text in FARM_NOTICES:
            session.send(outbound.error(-1, code, text))

    def _ids(self, session: Session, fields: list[str]) -> None:
        session.send(outbound.next_valid_id(self.exchange.next_order_id))

    def _current_time(self, session: Session, fields: list[str]) -> None:
        session.send(outbound.current_time(self.clock.now_ns() // 1_000_000_000))

    def _contract_details(self, session: Session, fields: list[str]) -> None:
        reader = FieldReader(fields, start=2)
        req_id = reader.integer()
        query = req.read_contract(reader)
        found = match(self.exchange.listings, query)
        if not found:
            session.send(outbound.error(req_id, 200, "No security definition has been found for the request"))
            return
        for listing in found:
            exchange = query.exchange or listing.exchange
            session.send(outbound.contract_details(req_id, listing, exchange=exchange))
        session.send(outbound.contract_details_end(req_id))

    def _place_order(self, session: Session, fields: list[str]) -> None:
        assert session.client_id is not None
        try:
            placed = req.read_place_order(fields)
        except (WireError, ValueError) as exc:
            session.send(outbound.error(FieldReader(fields).integer(), 201, f"Order rejected - reason:{exc}"))
            return
        if placed.what_if:
            session.send(outbound.error(placed.order_id, 201, "Order rejected - reason:what-if orders "
                                        "are not supported by the fake TWS"))
            return
        self._route(self.exchange.place(session.client_id, placed))

    def _cancel_order(self, session: Session, fields: list[str]) -> None:
        assert session.client_id is not None
        self._route(self.exchange.cancel(session.client_id, FieldReader(fields, start=2).integer()))

    def _global_cancel(self, session: Session, fields: list[str]) -> None:
        for (client_id, order_id), order in list(self.exchange.orders.items()):
            if order.status in ("PreSubmitted", "Submitted"):
                self._route(self.exchange.cancel(client_id, order_id))

    def _historical_data(self, session: Session, fields: list[str]) -> None:
        try:
            query = req.read_historical_request(fields)
        except (WireError, ValueError) as exc:
            req_id = FieldReader(fields).integer()
            session.send(outbound.error(req_id, 321, f"Error validating request: {exc}"))
            return
        found = match(self.exchange.listings, query.contract)
        if len(found) != 1:
            session.send(outbound.error(query.req_id, 200, "No security definition has been found for the "
                                        "request"))
            return
        session.send(self.history.answer(query, found[0], trio.current_time()))

    def _positions(self, session: Session, fields: list[str]) -> None:
        for listing, holding in self.exchange.account.positions():
            session.send(outbound.position(self.account, listing, holding.quantity, holding.avg_cost))
        session.send(outbound.position_end())

    def _account_rows(self) -> list[tuple[str, str, str]]:
        return self.exchange.account.values(self.exchange.prices, self.exchange.rates_usd())

    def _account_updates(self, session: Session, fields: list[str]) -> None:
        if not FieldReader(fields, start=2).flag():
            return  # unsubscribe
        for tag, value, currency in self._account_rows():
            session.send(outbound.account_value(tag, value, currency, self.account))
        for listing, holding in self.exchange.account.positions():
            session.send(outbound.portfolio(self.account, listing, holding.quantity,
                                            self.exchange.prices[listing.con_id], holding.avg_cost))
        now = datetime.fromtimestamp(self.clock.now_ns() / 1e9, tz=UTC)
        session.send(outbound.account_time(now.strftime("%H:%M")))
        session.send(outbound.account_download_end(self.account))

    def _account_updates_multi(self, session: Session, fields: list[str]) -> None:
        req_id = FieldReader(fields, start=2).integer()
        for tag, value, currency in self._account_rows():
            session.send(outbound.account_update_multi(req_id, self.account, tag, value, currency))
        session.send(outbound.account_update_multi_end(req_id))

    def _account_summary(self, session: Session, fields: list[str]) -> None:
        reader = FieldReader(fields, start=2)
        req_id, _group, tags = reader.integer(), reader.text(), set(reader.text().split(","))
        for tag, value, currency in self._account_rows():
            if tag in tags or (tag == "CashBalance" and "$LEDGER:ALL" in tags):
                session.send(outbound.account_summary(req_id, self.account, tag, value, currency))
        session.send(outbound.account_summary_end(req_id))


@contextlib.asynccontextmanager
async def open_fake_tws(tws: FakeTws | None = None) -> AsyncIterator[FakeTws]:
    """Serve `tws` (default: a `FakeTws()` on a free port) in the caller's trio run until exit."""
    tws = tws if tws is not None else FakeTws()
    async with trio.open_nursery() as nursery:
        tws._nursery = nursery
        await tws.start()
        try:
            yield tws
        finally:
            nursery.cancel_scope.cancel()
