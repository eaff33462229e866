"""A fake daemon for the monitor's tests: a Unix control socket speaking the real protocol messages of
`tradloopd.protocol` with canned data (`canned.py`), in its own thread and asyncio loop so it serves
Pilot tests and snapshot tests alike. It records every request and can push updates, drop updates,
refuse a request, and stop and start again like a restarting daemon."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

from tests.monitor import canned
from tradloopd.model import TradingState
from tradloopd.protocol import (
    MAX_LINE_BYTES,
    PROTOCOL_VERSION,
    TOPICS,
    CancelResult,
    Dropped,
    Equity,
    EquityResult,
    Error,
    Fills,
    FillsResult,
    Flatten,
    FlattenResult,
    Halt,
    HaltResult,
    Hello,
    Orders,
    OrdersResult,
    Positions,
    PositionsResult,
    Reply,
    Resume,
    ResumeResult,
    Status,
    Submit,
    SubmitResult,
    Subscribe,
    SubscriptionsResult,
    Update,
    UpdateData,
    Welcome,
    decode_client_message,
    encode_line,
)
from tradloopd.protocol import Cancel as CancelRequest

Answer = msgspec.Struct  # a result, or an Error to send instead


class FakeDaemon:
    """Serve `path` until `stop()`; `requests` lists every request received, in order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.requests: list[msgspec.Struct] = []
        self.status = canned.status()
        self.deny_submit = ""  # a risk-guard reason: submits are denied with it
        self.refuse: dict[type, Error] = {}  # request type -> the error it gets
        self.hello_error: Error | None = None  # refuse every client at hello (peer uid check)
        # a plain loop, whatever policy another test's import of trio_asyncio installed
        self._loop: asyncio.AbstractEventLoop = asyncio.SelectorEventLoop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.AbstractServer | None = None
        self._clients: dict[asyncio.StreamWriter, set[str]] = {}
        self._seq = 0

    # Control from the test thread -------------------------------------------------------------

    def start(self) -> FakeDaemon:
        self._call(self._start())
        return self

    def stop(self) -> None:
        """Close the listener and every connection, and remove the socket (a daemon killed)."""
        self._call(self._stop())

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def kick(self, error: Error) -> None:
        """Close every connection and answer each new one's hello with `error` (a daemon refusing)."""
        self.hello_error = error
        self._call(self._kick())

    def push(self, topic: str, data: list[UpdateData]) -> None:
        """Send updates of `topic` to every subscribed client, as fast as the socket takes them.

        Does not wait: the test's own event loop (the app's) must keep reading meanwhile.
        """
        asyncio.run_coroutine_threadsafe(self._push(topic, data), self._loop)

    def drop(self, topic: str, count: int) -> None:
        line = encode_line(Dropped(topic=topic, count=count))  # type: ignore[arg-type]
        asyncio.run_coroutine_threadsafe(self._send_all(topic, [line]), self._loop)

    def of_type(self, kind: type) -> list:  # type: ignore[type-arg]
        return [r for r in list(self.requests) if isinstance(r, kind)]

    def subscribed(self) -> int:
        return sum(1 for topics in self._clients.values() if topics)

    def _call(self, coroutine) -> None:  # type: ignore[no-untyped-def]
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    def __enter__(self) -> FakeDaemon:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # The server -------------------------------------------------------------------------------

    async def _start(self) -> None:
        self._server = await asyncio.start_unix_server(self._serve, path=str(self.path))

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._clients):
            writer.close()
        self._clients.clear()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _kick(self) -> None:
        for writer in list(self._clients):
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            hello = decode_client_message(await reader.readline())
            assert isinstance(hello, Hello)
            if self.hello_error is not None:
                writer.write(encode_line(self.hello_error))
                await writer.drain()
                return
            writer.write(encode_line(Welcome(protocol=PROTOCOL_VERSION, node_id="paper-1", version="0.1.0",
                                             topics=list(TOPICS), max_line_bytes=MAX_LINE_BYTES)))
            self._clients[writer] = set()
            while line := await reader.readline():
                request = decode_client_message(line)
                self.requests.append(request)
                writer.write(encode_line(self._answer(request, writer)))
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._clients.pop(writer, None)
            writer.close()

    def _answer(self, request: msgspec.Struct, writer: asyncio.StreamWriter) -> msgspec.Struct:
        request_id: int = request.id  # type: ignore[attr-defined]
        if type(request) in self.refuse:
            return msgspec.structs.replace(self.refuse[type(request)], id=request_id)
        result = self._result(request, writer)
        return Reply(id=request_id, result=result)  # type: ignore[arg-type]

    def _result(self, request: msgspec.Struct, writer: asyncio.StreamWriter) -> msgspec.Struct:
        working = [o for o in canned.ORDERS if o.status.is_working]
        match request:
            case Subscribe(topics=topics):
                self._clients[writer] |= set(topics)
                return SubscriptionsResult(topics=sorted(self._clients[writer]))  # type: ignore[arg-type]
            case Status():
                return self.status
            case Positions():
                return PositionsResult(positions=canned.POSITIONS)
            case Orders(status=status):
                return OrdersResult(orders=working if status == "open" else canned.ORDERS)
            case Fills():
                return FillsResult(fills=canned.FILLS)
            case Equity():
                return EquityResult(points=canned.equity_points())
            case Halt(reason=reason):
                self.status = msgspec.structs.replace(self.status, trading_state=TradingState.HALTED,
                                                      state_reason=reason)
                return HaltResult(trading_state=TradingState.HALTED, state_reason=reason, changed=True)
            case Resume():
                self.status = msgspec.structs.replace(self.status, trading_state=TradingState.ACTIVE,
                                                      state_reason="")
                return ResumeResult(trading_state=TradingState.ACTIVE, state_reason="", changed=True)
            case Flatten(symbol=symbol):
                canceled = [o.client_order_id for o in working if symbol in (None, o.symbol)]
                return FlattenResult(canceled=canceled, submitted=["paper-90"])
            case CancelRequest(client_order_id=order_id, all=everything):
                ids = [o.client_order_id for o in working] if everything else [order_id]
                return CancelResult(client_order_ids=ids)  # type: ignore[arg-type]
            case Submit():
                return SubmitResult(client_order_id="paper-100", accepted_by_risk=not self.deny_submit,
                                    reason=self.deny_submit)
        raise AssertionError(f"the fake daemon has no answer for {request}")

    async def _push(self, topic: str, data: list[UpdateData]) -> None:
        lines = []
        for item in data:
            self._seq += 1
            lines.append(encode_line(Update(topic=topic, seq=self._seq, data=item)))  # type: ignore[arg-type]
        await self._send_all(topic, lines)

    async def _send_all(self, topic: str, lines: list[bytes]) -> None:
        for writer, topics in list(self._clients.items()):
            if topic in topics:
                writer.write(b"".join(lines))
                with contextlib.suppress(ConnectionError):
                    await writer.drain()


def wait_until(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """For the test thread: poll until `predicate()` (a real daemon or thread has no event to wait on)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)
