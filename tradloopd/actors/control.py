"""The control server actor: the Unix socket where tradloopctl, the monitor and scripts steer the node.

Inbox: connections on a Unix socket in the state directory (mode 0600, peer uid checked), each a
stream of newline-delimited JSON lines (`tradloopd.protocol`: hello first, then requests with ids).
Outputs: queries and commands to the node's `ControlBackend`, one request at a time per client and
each bounded by `request_timeout_s`; replies and subscribed updates to each client through one writer
per client whose every send is bounded by `send_timeout_s` — a client that stops reading is dropped,
never waited for. Updates come from the node's lossy broadcaster (one queue per topic and client,
oldest dropped and counted), so a slow client never slows trading.
Fails: a malformed, unknown, out-of-order or refused message gets an `Error` reply and changes
nothing; an oversized line, a too-slow or foreign client is disconnected; a backend exception is
answered `internal` and logged, and the server goes on — except `InvariantError`, which propagates
(crash-only). Start fails with `ConfigError` if the path is in use by a live daemon, is not a socket,
or cannot be made private. On cancellation it closes every client and removes its socket file.
"""

from __future__ import annotations

import itertools
import os
import socket
import stat
import struct
from functools import partial
from pathlib import Path
from typing import Any, assert_never

import msgspec
import structlog
import trio

from tradloopd import __version__
from tradloopd.errors import ConfigError, InvariantError
from tradloopd.protocol import (
    MAX_LINE_BYTES,
    PROTOCOL_VERSION,
    RESULT_TYPES,
    TOPICS,
    Cancel,
    ControlBackend,
    ControlDenied,
    Equity,
    Error,
    Fills,
    Flatten,
    Halt,
    Hello,
    Orders,
    Positions,
    Reply,
    Request,
    Result,
    Resume,
    Status,
    Submit,
    Subscribe,
    Subscription,
    SubscriptionsResult,
    Topic,
    Unsubscribe,
    Welcome,
    decode_client_message,
    encode_line,
)

log = structlog.get_logger("tradloopd.control")

MAX_SOCKET_PATH_BYTES = 107  # sun_path is 108 bytes on Linux, one for the terminating NUL
RECEIVE_BYTES = 65_536
WRITE_BATCH_BYTES = 65_536
OUTBOX_LINES = 16
MAX_ERROR_TEXT = 300


class _Settings(msgspec.Struct, frozen=True, kw_only=True):
    max_line_bytes: int
    send_timeout_s: float
    request_timeout_s: float
    subscription_buffer: int
    allowed_uid: int


async def serve_control(
    socket_path: Path,
    backend: ControlBackend,
    *,
    max_line_bytes: int = MAX_LINE_BYTES,
    send_timeout_s: float = 5.0,
    request_timeout_s: float = 30.0,
    subscription_buffer: int = 1024,
    allowed_uid: int | None = None,
    task_status: trio.TaskStatus[Path] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve the control protocol on `socket_path` until cancelled; `started()` once it listens.

    `allowed_uid` is the only user that may connect (default: the daemon's own effective uid).
    """
    settings = _Settings(
        max_line_bytes=max_line_bytes, send_timeout_s=send_timeout_s,
        request_timeout_s=request_timeout_s, subscription_buffer=subscription_buffer,
        allowed_uid=os.geteuid() if allowed_uid is None else allowed_uid,
    )
    listener = await open_control_listener(socket_path)
    identity = _identity(socket_path)
    numbers = itertools.count(1)
    try:
        async with trio.open_nursery() as nursery:
            log.info("control_listening", actor="control", path=str(socket_path))
            task_status.started(socket_path)
            handler = partial(_serve_client, backend=backend, settings=settings, numbers=numbers)
            await trio.serve_listeners(handler, [listener], handler_nursery=nursery)
    finally:
        _unlink_if_ours(socket_path, identity)  # while open, no other file can get our inode
        listener.socket.close()
        log.info("control_stopped", actor="control", path=str(socket_path))


# The socket file ------------------------------------------------------------------------------


async def open_control_listener(socket_path: Path) -> trio.SocketListener:
    """Listen on a fresh mode-0600 socket at the path, replacing a stale one a crash left behind."""
    if len(os.fsencode(socket_path)) > MAX_SOCKET_PATH_BYTES:
        raise ConfigError(f"control socket path {socket_path} is longer than {MAX_SOCKET_PATH_BYTES} "
                          "bytes, the limit of Unix sockets: use a shorter state directory")
    await _remove_stale_socket(socket_path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        old_umask = os.umask(0o177)  # born private: no moment where others may connect
        try:
            sock.bind(os.fspath(socket_path))
        finally:
            os.umask(old_umask)
        os.chmod(socket_path, 0o600)
        _verify_private(socket_path)
        sock.listen(64)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot create the control socket {socket_path}: {exc.strerror or exc}") from exc
    except BaseException:
        sock.close()
        raise
    return trio.SocketListener(trio.socket.from_stdlib_socket(sock))


async def _remove_stale_socket(socket_path: Path) -> None:
    try:
        mode = os.lstat(socket_path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise ConfigError(f"{socket_path} exists and is not a socket: move it away, or use another "
                          "state directory")
    if await _socket_answers(socket_path):
        raise ConfigError(f"another daemon is already listening on {socket_path}: stop it first, or "
                          "give this one another state directory")
    os.unlink(socket_path)
    log.warning("control_stale_socket_removed", actor="control", path=str(socket_path))


async def _socket_answers(socket_path: Path) -> bool:
    """True if something accepts connections there (or is too busy to refuse quickly)."""
    with trio.socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe, trio.move_on_after(2):
        try:
            await probe.connect(os.fspath(socket_path))
        except (ConnectionRefusedError, FileNotFoundError):
            return False
        except PermissionError as exc:
            raise ConfigError(f"{socket_path} belongs to another user, so it cannot be checked or "
                              "replaced: remove it as that user, or use another state directory") from exc
        return True
    return True


def _verify_private(socket_path: Path) -> None:
    info = os.lstat(socket_path)
    if not stat.S_ISSOCK(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o777 != 0o600:
        raise ConfigError(f"control socket {socket_path} is not a private socket after chmod "
                          f"(mode {info.st_mode & 0o777:o}, owner uid {info.st_uid}): check the "
                          "state directory's file system")


def _identity(path: Path) -> tuple[int, int]:
    info = os.lstat(path)
    return info.st_dev, info.st_ino


def _unlink_if_ours(socket_path: Path, identity: tuple[int, int]) -> None:
    """Remove the socket file unless another daemon has replaced it since."""
    try:
        if _identity(socket_path) == identity:
            os.unlink(socket_path)
    except FileNotFoundError:
        pass


def peer_uid(sock: trio.socket.SocketType) -> int | None:
    """The uid of the process at the other end (Linux SO_PEERCRED); None where unsupported."""
    peercred = getattr(socket, "SO_PEERCRED", None)
    if peercred is None:
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, peercred, struct.calcsize("iII"))
    _pid, uid, _gid = struct.unpack("iII", creds)  # struct ucred: pid_t, uid_t, gid_t
    return int(uid)


def peer_allowed(uid: int | None, allowed_uid: int) -> bool:
    """Only the daemon's own user may connect; None (no peer credentials) relies on mode 0600."""
    return uid is None or uid == allowed_uid


# One client -----------------------------------------------------------------------------------


async def _serve_client(stream: trio.SocketStream, *, backend: ControlBackend, settings: _Settings,
                        numbers: itertools.count[int]) -> None:
    number = next(numbers)
    async with stream:
        uid = peer_uid(stream.socket)
        if not peer_allowed(uid, settings.allowed_uid):
            log.warning("control_client_refused", actor="control", client=number, uid=uid)
            refusal = Error(id=None, code="denied", message=f"only uid {settings.allowed_uid} may connect")
            with trio.move_on_after(settings.send_timeout_s):
                await stream.send_all(encode_line(refusal))
            return
        log.info("control_client_connected", actor="control", client=number)
        client = _Client(stream, backend, settings, log.bind(actor="control", client=number))
        try:
            await client.run()
        except* (trio.BrokenResourceError, trio.ClosedResourceError):
            client.log.info("control_client_gone")
        except* InvariantError:
            raise
        except* Exception as group:  # the per-client edge: a bug here must not take the node down
            client.log.error("control_client_failed", exc_info=group)
        client.log.info("control_client_closed", reason=client.close_reason)


class _LineTooLong(Exception):
    pass


class _LineReader:
    """Lines from a byte stream, without their newline; refuses one longer than `max_bytes`."""

    def __init__(self, stream: trio.SocketStream, max_bytes: int) -> None:
        self._stream = stream
        self._max = max_bytes
        self._buffer = bytearray()
        self._start = 0  # where the next line begins in the buffer
        self._scanned = 0  # no newline before here

    async def next_line(self) -> bytes | None:
        """The next line (a trailing CR removed), or None at the end of the stream."""
        while True:
            end = self._buffer.find(b"\n", max(self._start, self._scanned))
            if end >= 0:
                line = bytes(self._buffer[self._start:end]).removesuffix(b"\r")
                self._start = self._scanned = end + 1
                if len(line) > self._max:
                    raise _LineTooLong
                return line
            if len(self._buffer) - self._start > self._max:
                raise _LineTooLong
            del self._buffer[:self._start]
            self._start, self._scanned = 0, len(self._buffer)
            data = await self._stream.receive_some(RECEIVE_BYTES)
            if not data:
                return None
            self._buffer += data


class _Client:
    """One connection: its reader loop, its writer, and a pump per subscribed topic."""

    def __init__(self, stream: trio.SocketStream, backend: ControlBackend, settings: _Settings,
                 client_log: structlog.typing.FilteringBoundLogger) -> None:
        self.log = client_log
        self.close_reason = "client closed the connection"
        self._stream = stream
        self._backend = backend
        self._settings = settings
        self._outbox, self._outbox_reader = trio.open_memory_channel[bytes](OUTBOX_LINES)
        self._topics: dict[Topic, trio.CancelScope] = {}
        self._greeted = False
        self._last_id = -1
        self._nursery: trio.Nursery | None = None

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            nursery.start_soon(self._write, nursery.cancel_scope)
            async with self._outbox:
                await self._read(_LineReader(self._stream, self._settings.max_line_bytes))
                for scope in self._topics.values():
                    scope.cancel()
            # the writer sends what is queued, then ends with the closed outbox

    async def _read(self, reader: _LineReader) -> None:
        while True:
            try:
                line = await reader.next_line()
            except _LineTooLong:
                self.close_reason = "line too long"
                limit = self._settings.max_line_bytes
                await self._send(Error(id=None, code="too_large",
                                       message=f"a line may have at most {limit} bytes; closing"))
                return
            if line is None:
                return
            if not line.strip():
                continue  # blank lines are allowed as keep-alives
            if not await self._handle(line):
                return

    async def _handle(self, line: bytes) -> bool:
        """Answer one line; False when the connection must end."""
        try:
            message = decode_client_message(line)
        except (msgspec.DecodeError, RecursionError, ValueError, ArithmeticError) as exc:
            await self._send(_rejection(line, exc))
            return True
        if isinstance(message, Hello):
            return await self._greet(message)
        if not self._greeted:
            await self._send(Error(id=message.id, code="out_of_order",
                                   message="send a hello first: {\"type\":\"hello\",\"protocol\":1}"))
            return True
        await self._send(await self._answer(message))
        return True

    async def _greet(self, hello: Hello) -> bool:
        if self._greeted:
            await self._send(Error(id=None, code="out_of_order", message="hello was already sent"))
            return True
        if hello.protocol != PROTOCOL_VERSION:
            self.close_reason = "unsupported protocol version"
            await self._send(Error(
                id=None, code="unsupported_version",
                message=f"this daemon speaks protocol {PROTOCOL_VERSION}, the client {hello.protocol}: "
                        "use a tradloopctl (or client) of the daemon's version"))
            return False
        self._greeted = True
        self.log.info("control_client_greeted", client_name=hello.client)
        await self._send(Welcome(protocol=PROTOCOL_VERSION, node_id=self._backend.node_id,
                                 version=__version__, topics=list(TOPICS),
                                 max_line_bytes=self._settings.max_line_bytes))
        return True

    async def _answer(self, request: Request) -> Reply | Error:
        if request.id is None:
            return Error(id=None, code="bad_request", message="every request needs an integer id")
        if request.id <= self._last_id:
            return Error(id=request.id, code="duplicate_id",
                         message=f"id {request.id} is not above {self._last_id}, the last one on this "
                                 "connection: ids must increase")
        self._last_id = request.id
        try:
            with trio.fail_after(self._settings.request_timeout_s):
                result = await self._dispatch(request)
        except trio.TooSlowError:
            return Error(id=request.id, code="timeout", message=(
                f"no answer within {self._settings.request_timeout_s} s; a command may still take effect"))
        except ControlDenied as exc:
            return Error(id=request.id, code=exc.code, message=exc.message[:MAX_ERROR_TEXT])
        except InvariantError:
            raise
        except Exception:  # the per-client edge: one failed request must not end the daemon
            self.log.exception("control_request_failed", request=type(request).__name__, id=request.id)
            return Error(id=request.id, code="internal", message="the request failed; the daemon log has why")
        expected = RESULT_TYPES[type(request)]
        if not isinstance(result, expected):
            self.log.error("control_wrong_result", request=type(request).__name__,
                           result=type(result).__name__)
            return Error(id=request.id, code="internal", message="the daemon gave a wrong result type")
        return Reply(id=request.id, result=result)

    async def _dispatch(self, request: Request) -> Result:
        match request:
            case Status() | Positions() | Orders() | Fills() | Equity():
                return await self._backend.query(request)
            case Halt() | Resume() | Flatten() | Cancel() | Submit():
                self.log.info("control_command", request=type(request).__name__, id=request.id)
                return await self._backend.command(request)
            case Subscribe():
                buffer = request.buffer or self._settings.subscription_buffer
                for topic in sorted(request.topics - self._topics.keys()):
                    self._start_pump(topic, self._backend.subscribe(frozenset({topic}), buffer=buffer))
                return SubscriptionsResult(topics=sorted(self._topics))
            case Unsubscribe():
                for topic in request.topics if request.topics is not None else list(self._topics):
                    scope = self._topics.pop(topic, None)
                    if scope is not None:
                        scope.cancel()
                return SubscriptionsResult(topics=sorted(self._topics))
            case _:
                assert_never(request)

    def _start_pump(self, topic: Topic, subscription: Subscription) -> None:
        assert self._nursery is not None
        scope = self._topics[topic] = trio.CancelScope()
        self._nursery.start_soon(self._pump, subscription, scope)

    async def _pump(self, subscription: Subscription, scope: trio.CancelScope) -> None:
        try:
            with scope:
                while True:
                    try:
                        item = await subscription.receive()
                    except (trio.EndOfChannel, trio.ClosedResourceError):
                        return
                    await self._outbox.send(encode_line(item))
        finally:
            subscription.close()

    async def _send(self, message: msgspec.Struct) -> None:
        await self._outbox.send(encode_line(message))

    async def _write(self, client_scope: trio.CancelScope) -> None:
        """Send queued lines in batches; a send that takes too long ends the connection."""
        async with self._outbox_reader:
            async for line in self._outbox_reader:
                batch = bytearray(line)
                while len(batch) < WRITE_BATCH_BYTES:
                    try:
                        batch += self._outbox_reader.receive_nowait()
                    except (trio.WouldBlock, trio.EndOfChannel):
                        break
                with trio.move_on_after(self._settings.send_timeout_s) as timer:
                    await self._stream.send_all(batch)
                if timer.cancelled_caught:
                    self.close_reason = "client too slow to read"
                    self.log.warning("control_client_too_slow", timeout_s=self._settings.send_timeout_s)
                    client_scope.cancel()
                    return


def _rejection(line: bytes, exc: Exception) -> Error:
    """The error for a line that did not decode: unknown type, or a bad request."""
    envelope = _read_envelope(line)
    text = str(exc) or type(exc).__name__
    if envelope is not None and envelope.type is not None and envelope.type not in _KNOWN_TYPES:
        return Error(id=envelope.id, code="unknown_type",
                     message=f"unknown message type {envelope.type[:50]!r}; known: {', '.join(_KNOWN_TYPES)}")
    if envelope is None:
        text = "each line must be one JSON object"
    elif envelope.type is None:
        text = 'missing "type"'
    return Error(id=envelope.id if envelope else None, code="bad_request", message=text[:MAX_ERROR_TEXT])


class _Envelope(msgspec.Struct):
    type: msgspec.Raw = msgspec.Raw(b"null")
    id: msgspec.Raw = msgspec.Raw(b"null")


class _Fields(msgspec.Struct):
    type: str | None
    id: int | None


_KNOWN_TYPES = tuple(sorted({"hello", *(str(cls.__struct_config__.tag) for cls in RESULT_TYPES)}))


def _read_envelope(line: bytes) -> _Fields | None:
    """The type and id of a line that is a JSON object, as far as they can be read; else None."""
    try:
        envelope = msgspec.json.decode(line, type=_Envelope)
    except (msgspec.DecodeError, RecursionError):
        return None
    return _Fields(type=_lenient(envelope.type, str), id=_lenient(envelope.id, int))


def _lenient(raw: msgspec.Raw, kind: type[str] | type[int]) -> Any:
    try:
        return msgspec.json.decode(raw, type=kind | None)
    except msgspec.DecodeError:
        return None
