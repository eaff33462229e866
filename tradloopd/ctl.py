"""Clients of the control socket: one I/O-free session, and blocking, trio and asyncio connections.

All three speak the same way: `client.request(Status())` sends a request (the client fills in the
id), waits for its reply and returns the typed result (`StatusResult` here), or raises
`ControlError` with the server's error code. After `request(Subscribe(topics=...))`, updates arrive
through `receive_update()` (awaited in the async clients).

- `connect(path)`: a blocking client on the stdlib `socket` module, for scripts and `tradloopctl`.
- `open_control(path)`: an async context manager for trio programs.
- `open_control_asyncio(path)`: an async context manager for asyncio programs (the Textual monitor).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

import msgspec

from tradloopd import __version__
from tradloopd.errors import TradloopError
from tradloopd.protocol import (
    PROTOCOL_VERSION,
    RESULT_TYPES,
    BaseRequest,
    Dropped,
    Error,
    Hello,
    Reply,
    Update,
    Welcome,
    decode_server_message,
    encode_line,
)

if TYPE_CHECKING:  # trio and asyncio are imported where used: tradloopctl needs neither
    import asyncio

    import trio

ResultT = TypeVar("ResultT")
CLIENT_NAME = f"tradloopd.ctl/{__version__}"
MAX_REPLY_BYTES = 256 << 20  # a reply line longer than this is refused by the asyncio reader
UPDATE_BUFFER = 4096  # updates a client holds before it stops reading the socket


class ControlError(TradloopError):
    """A request failed: the server's error `code`, or a client-side one (`no_daemon`,
    `permission`, `disconnected`, `protocol`, `timeout`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Answer(NamedTuple):
    """What came back for request `id`: its result, or the error to raise."""

    id: int | None
    result: msgspec.Struct | None = None
    error: ControlError | None = None


class ClientSession:
    """The client's half of the protocol with no I/O: hello, ids, and checking each answer."""

    def __init__(self, client_name: str = CLIENT_NAME) -> None:
        self.client_name = client_name
        self.welcome: Welcome | None = None
        self._next_id = 1
        self._expected: dict[int, type] = {}

    def hello(self) -> bytes:
        return encode_line(Hello(protocol=PROTOCOL_VERSION, client=self.client_name))

    def accept_welcome(self, line: bytes) -> Welcome:
        """The server's answer to hello, or ControlError (version mismatch, refused user, ...)."""
        if not line:
            raise _disconnected()
        message = self.parse(line)
        if isinstance(message, Error):
            raise ControlError(message.code, message.message)
        if not isinstance(message, Welcome):
            raise ControlError("protocol", f"expected a welcome, got {type(message).__name__}")
        self.welcome = message
        return message

    def prepare(self, request: BaseRequest[ResultT]) -> tuple[int, bytes]:
        """The request under the next id, as a line to send."""
        request_id = self._next_id
        self._next_id += 1
        self._expected[request_id] = RESULT_TYPES[type(request)]
        return request_id, encode_line(msgspec.structs.replace(request, id=request_id))

    def parse(self, line: bytes) -> Welcome | Reply | Error | Update | Dropped:
        try:
            return decode_server_message(line)
        except msgspec.DecodeError as exc:
            raise ControlError("protocol", f"the daemon sent an invalid message: {exc}") from exc

    def answer(self, message: Reply | Error) -> Answer:
        """Match a reply or error to its request and check the result's type."""
        expected = self._expected.pop(message.id, None) if message.id is not None else None
        if isinstance(message, Error):
            return Answer(message.id, error=ControlError(message.code, message.message))
        if expected is None:
            return Answer(message.id, error=ControlError("protocol", f"a reply to no request: {message.id}"))
        if not isinstance(message.result, expected):
            problem = f"expected {expected.__name__}, got {type(message.result).__name__}"
            return Answer(message.id, error=ControlError("protocol", problem))
        return Answer(message.id, result=message.result)


def connect_error(socket_path: Path, exc: OSError) -> ControlError:
    """The one-line explanation of why a connection to the socket failed."""
    if isinstance(exc, FileNotFoundError | ConnectionRefusedError):
        stale = " (only a stale socket file is left)" if isinstance(exc, ConnectionRefusedError) else ""
        return ControlError("no_daemon", f"no daemon at {socket_path}{stale} — is `tradloopd run` running?")
    if isinstance(exc, PermissionError):
        return ControlError("permission", f"permission denied on {socket_path}: the daemon runs as "
                                          "another user; run this as that user")
    return ControlError("no_daemon", f"cannot connect to {socket_path}: {exc.strerror or exc}")


def _disconnected() -> ControlError:
    return ControlError("disconnected", "the daemon closed the connection")


# Blocking -------------------------------------------------------------------------------------


class BlockingControlClient:
    """A connection on a plain socket; not thread-safe. Use as a context manager."""

    def __init__(self, sock: socket.socket, session: ClientSession, timeout_s: float | None) -> None:
        self.session = session
        self._sock = sock
        self._file = sock.makefile("rb")
        self._timeout_s = timeout_s
        self._updates: deque[Update | Dropped] = deque()

    @property
    def welcome(self) -> Welcome:
        assert self.session.welcome is not None
        return self.session.welcome

    def request(self, request: BaseRequest[ResultT]) -> ResultT:
        request_id, line = self.session.prepare(request)
        self._sock.settimeout(self._timeout_s)
        try:
            self._sock.sendall(line)
        except OSError as exc:
            raise _disconnected() from exc
        while True:
            message = self._next_message(self._timeout_s)
            if isinstance(message, Update | Dropped):
                self._updates.append(message)
            elif isinstance(message, Reply | Error):
                answer = self.session.answer(message)
                if answer.id not in (request_id, None):
                    continue  # the late answer to a request that timed out
                if answer.error is not None:
                    raise answer.error
                return answer.result  # type: ignore[return-value]

    def receive_update(self, timeout_s: float | None = None) -> Update | Dropped:
        """The next update; raises ControlError("timeout") after `timeout_s` (None: wait)."""
        if self._updates:
            return self._updates.popleft()
        message = self._next_message(timeout_s)
        if not isinstance(message, Update | Dropped):
            raise ControlError("protocol", f"unexpected {type(message).__name__} between updates")
        return message

    def _next_message(self, timeout_s: float | None) -> Welcome | Reply | Error | Update | Dropped:
        self._sock.settimeout(timeout_s)
        try:
            line = self._file.readline()
        except TimeoutError as exc:
            raise ControlError("timeout", f"no answer from the daemon within {timeout_s} s") from exc
        except OSError as exc:
            raise _disconnected() from exc
        if not line.endswith(b"\n"):
            raise _disconnected()
        return self.session.parse(line)

    def close(self) -> None:
        self._file.close()
        self._sock.close()

    def __enter__(self) -> BlockingControlClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def connect(socket_path: str | os.PathLike[str], *, client_name: str = CLIENT_NAME,
            timeout_s: float | None = 10.0) -> BlockingControlClient:
    """Connect and say hello; raises ControlError with a one-line reason if that fails."""
    path = Path(socket_path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout_s)
    try:
        sock.connect(os.fspath(path))
    except OSError as exc:
        sock.close()
        raise connect_error(path, exc) from exc
    client = BlockingControlClient(sock, ClientSession(client_name), timeout_s)
    with contextlib.suppress(OSError):  # a server refusing us may have closed; its reason is still readable
        sock.sendall(client.session.hello())
    try:
        line = client._file.readline()
    except OSError as exc:
        client.close()
        raise _disconnected() from exc
    try:
        client.session.accept_welcome(line)
    except ControlError:
        client.close()
        raise
    return client


# trio -----------------------------------------------------------------------------------------


class ControlClient:
    """A trio connection; requests may be made from several tasks at once."""

    def __init__(self, stream: trio.SocketStream, session: ClientSession, timeout_s: float | None) -> None:
        import trio

        self.session = session
        self._stream = stream
        self._timeout_s = timeout_s
        self._send_lock = trio.Lock()
        self._waiting: dict[int, tuple[trio.Event, list[Answer]]] = {}
        self._updates_in, self._updates_out = trio.open_memory_channel[Update | Dropped](UPDATE_BUFFER)
        self._failure: ControlError | None = None

    @property
    def welcome(self) -> Welcome:
        assert self.session.welcome is not None
        return self.session.welcome

    async def request(self, request: BaseRequest[ResultT]) -> ResultT:
        import trio

        if self._failure is not None:
            raise self._failure
        async with self._send_lock:  # ids must reach the server in increasing order
            request_id, line = self.session.prepare(request)
            done, box = self._waiting[request_id] = (trio.Event(), [])
            try:
                await self._stream.send_all(line)
            except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                raise _disconnected() from exc
        if self._failure is not None and not box:  # the reader ended while we sent
            raise self._failure
        with trio.move_on_after(self._timeout_s if self._timeout_s is not None else float("inf")):
            await done.wait()
        if not box:
            self._waiting.pop(request_id, None)
            raise ControlError("timeout", f"no answer from the daemon within {self._timeout_s} s")
        answer = box[0]
        if answer.error is not None:
            raise answer.error
        return answer.result  # type: ignore[return-value]

    @property
    def updates(self) -> trio.MemoryReceiveChannel[Update | Dropped]:
        """The updates of subscribed topics, as a channel (`async for update in client.updates`)."""
        return self._updates_out

    async def receive_update(self) -> Update | Dropped:
        """The next update; ControlError("disconnected") once the connection has ended."""
        import trio

        try:
            return await self._updates_out.receive()
        except trio.EndOfChannel:
            raise self._failure or _disconnected() from None

    async def _read(self, reader: _TrioLines) -> None:
        import trio

        try:
            async with self._updates_in:
                while (line := await reader.next_line()) is not None:
                    message = self.session.parse(line)
                    if isinstance(message, Update | Dropped):
                        await self._updates_in.send(message)
                    elif isinstance(message, Reply | Error):
                        self._resolve(self.session.answer(message))
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        except ControlError as exc:
            self._failure = exc
        finally:
            self._fail_all(self._failure or _disconnected())

    def _resolve(self, answer: Answer) -> None:
        if answer.id in self._waiting:
            done, box = self._waiting.pop(answer.id)
            box.append(answer)
            done.set()
        elif answer.id is None:  # a connection-level error, e.g. too_large
            self._failure = answer.error

    def _fail_all(self, error: ControlError) -> None:
        self._failure = error
        for request_id in list(self._waiting):
            self._resolve(Answer(request_id, error=error))


class _TrioLines:
    def __init__(self, stream: trio.SocketStream) -> None:
        self._stream = stream
        self._buffer = bytearray()

    async def next_line(self) -> bytes | None:
        import trio

        while (end := self._buffer.find(b"\n")) < 0:
            try:
                data = await self._stream.receive_some(1 << 16)
            except trio.BrokenResourceError:  # reset by the daemon: the same as its end
                return None
            if not data:
                return None
            self._buffer += data
        line = bytes(self._buffer[:end + 1])
        del self._buffer[:end + 1]
        return line


@contextlib.asynccontextmanager
async def open_control(socket_path: str | os.PathLike[str], *, client_name: str = CLIENT_NAME,
                       timeout_s: float | None = 10.0) -> AsyncIterator[ControlClient]:
    """A connected, greeted trio client; raises ControlError with a one-line reason if it cannot be."""
    import trio

    path = Path(socket_path)
    try:
        stream = await trio.open_unix_socket(os.fspath(path))
    except OSError as exc:
        raise connect_error(path, exc) from exc
    async with stream, trio.open_nursery() as nursery:
        session = ClientSession(client_name)
        reader = _TrioLines(stream)
        with contextlib.suppress(trio.BrokenResourceError):  # a refusal may be waiting to be read
            await stream.send_all(session.hello())
        session.accept_welcome(await reader.next_line() or b"")
        client = ControlClient(stream, session, timeout_s)
        nursery.start_soon(client._read, reader)
        yield client
        nursery.cancel_scope.cancel()


# asyncio --------------------------------------------------------------------------------------


class AsyncioControlClient:
    """An asyncio connection; requests may be made from several tasks at once."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, session: ClientSession,
                 timeout_s: float | None) -> None:
        import asyncio

        self.session = session
        self._reader = reader
        self._writer = writer
        self._timeout_s = timeout_s
        self._send_lock = asyncio.Lock()
        self._waiting: dict[int, asyncio.Future[Answer]] = {}
        self._updates: asyncio.Queue[Update | Dropped | None] = asyncio.Queue(UPDATE_BUFFER)
        self._failure: ControlError | None = None

    @property
    def welcome(self) -> Welcome:
        assert self.session.welcome is not None
        return self.session.welcome

    async def request(self, request: BaseRequest[ResultT]) -> ResultT:
        import asyncio

        if self._failure is not None:
            raise self._failure
        async with self._send_lock:  # ids must reach the server in increasing order
            request_id, line = self.session.prepare(request)
            future = self._waiting[request_id] = asyncio.get_running_loop().create_future()
            try:
                self._writer.write(line)
                await self._writer.drain()
            except OSError as exc:
                raise _disconnected() from exc
        if self._failure is not None and not future.done():  # the reader ended while we sent
            raise self._failure
        try:
            answer = await asyncio.wait_for(future, self._timeout_s)
        except TimeoutError as exc:
            raise ControlError("timeout", f"no answer from the daemon within {self._timeout_s} s") from exc
        if answer.error is not None:
            raise answer.error
        return answer.result  # type: ignore[return-value]

    async def receive_update(self) -> Update | Dropped:
        """The next update; ControlError("disconnected") once the connection has ended."""
        if self._failure is not None and self._updates.empty():
            raise self._failure
        update = await self._updates.get()
        if update is None:
            self._updates.put_nowait(None)  # every later call ends the same way
            raise self._failure or _disconnected()
        return update

    async def _read(self) -> None:
        import asyncio

        try:
            while line := await self._reader.readline():
                message = self.session.parse(line)
                if isinstance(message, Update | Dropped):
                    await self._updates.put(message)
                elif isinstance(message, Reply | Error):
                    self._resolve(self.session.answer(message))
        except (OSError, ValueError, ControlError):  # ValueError: a line over the reader's limit
            pass
        finally:
            self._failure = self._failure or _disconnected()
            for request_id in list(self._waiting):
                self._resolve(Answer(request_id, error=self._failure))
            with contextlib.suppress(asyncio.QueueFull):
                self._updates.put_nowait(None)

    def _resolve(self, answer: Answer) -> None:
        if answer.id is None:  # a connection-level error, e.g. too_large
            self._failure = answer.error
            return
        future = self._waiting.pop(answer.id, None)
        if future is not None and not future.done():
            future.set_result(answer)


@contextlib.asynccontextmanager
async def open_control_asyncio(socket_path: str | os.PathLike[str], *, client_name: str = CLIENT_NAME,
                               timeout_s: float | None = 10.0) -> AsyncIterator[AsyncioControlClient]:
    """A connected, greeted asyncio client; raises ControlError with a one-line reason if it cannot be."""
    import asyncio

    path = Path(socket_path)
    try:
        reader, writer = await asyncio.open_unix_connection(os.fspath(path), limit=MAX_REPLY_BYTES)
    except OSError as exc:
        raise connect_error(path, exc) from exc
    try:
        session = ClientSession(client_name)
        writer.write(session.hello())
        with contextlib.suppress(OSError):  # a refusal may be waiting to be read
            await writer.drain()
        try:
            line = await asyncio.wait_for(reader.readline(), timeout_s)
        except TimeoutError as exc:
            raise ControlError("timeout", f"no welcome from the daemon within {timeout_s} s") from exc
        except OSError as exc:
            raise _disconnected() from exc
        session.accept_welcome(line)
        client = AsyncioControlClient(reader, writer, session, timeout_s)
        task = asyncio.create_task(client._read())
        try:
            yield client
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

