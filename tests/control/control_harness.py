"""Test tools for the control server: short socket paths, a raw line client, a server in a thread."""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import trio

from tradloopd.actors.control import serve_control
from tradloopd.protocol import (
    PROTOCOL_VERSION,
    Hello,
    ServerMessage,
    Welcome,
    decode_server_message,
    encode_line,
)

T = TypeVar("T")
HANG_GUARD_S = 10  # only to turn a hang into a failure; never what a test measures


@contextmanager
def short_socket_path(tmp_path: Path) -> Iterator[Path]:
    """A socket path under the 107-byte limit: in tmp_path if it is short enough, else in /tmp."""
    candidate = tmp_path / "c.sock"
    if len(str(candidate)) < 100:
        yield candidate
        return
    directory = tempfile.mkdtemp(prefix="tlctl-", dir="/tmp")
    try:
        yield Path(directory) / "c.sock"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def hello_line(protocol: int = PROTOCOL_VERSION) -> bytes:
    return encode_line(Hello(protocol=protocol, client="test"))


class LineClient:
    """A raw trio connection that sends any bytes and reads the server's lines."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self._buffer = bytearray()

    @classmethod
    async def open(cls, path: Path, *, greet: bool = True) -> LineClient:
        client = cls(await trio.open_unix_socket(str(path)))
        if greet:
            await client.send(hello_line())
            assert isinstance(await client.receive(), Welcome)
        return client

    async def send(self, data: bytes) -> None:
        await self.stream.send_all(data)

    async def receive_line(self) -> bytes | None:
        """The next line, or None when the server closed the connection."""
        with trio.fail_after(HANG_GUARD_S):
            while (end := self._buffer.find(b"\n")) < 0:
                try:
                    data = await self.stream.receive_some(1 << 16)
                except trio.BrokenResourceError:
                    return None
                if not data:
                    return None
                self._buffer += data
        line = bytes(self._buffer[:end + 1])
        del self._buffer[:end + 1]
        return line

    async def receive(self) -> ServerMessage:
        line = await self.receive_line()
        assert line is not None, "the server closed the connection"
        return decode_server_message(line)

    async def request(self, line: bytes) -> ServerMessage:
        await self.send(line)
        return await self.receive()

    async def aclose(self) -> None:
        await self.stream.aclose()


class ServerThread:
    """The real control server running `trio.run` in a thread, for sync clients and subprocesses."""

    def __init__(self, path: Path, backend: Any, **options: Any) -> None:
        self.path = path
        self.backend = backend
        self._options = options
        self._started = threading.Event()
        self._token: trio.lowlevel.TrioToken | None = None
        self._scope: trio.CancelScope | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="control-server", daemon=True)

    def __enter__(self) -> ServerThread:
        self._thread.start()
        if not self._started.wait(HANG_GUARD_S) or self._error is not None:
            raise RuntimeError("control server did not start") from self._error
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Cancel the server (it removes its socket) and wait for the thread; idempotent."""
        if self._thread.is_alive() and self._scope is not None:
            trio.from_thread.run_sync(self._scope.cancel, trio_token=self._token)
        self._thread.join(HANG_GUARD_S)
        if self._error is not None:
            raise self._error

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function` in the server's trio thread (backend state is only touched there)."""
        return trio.from_thread.run_sync(partial(function, *args), trio_token=self._token)

    def _run(self) -> None:
        try:
            trio.run(self._main)
        except BaseException as exc:
            self._error = exc
            self._started.set()

    async def _main(self) -> None:
        self._token = trio.lowlevel.current_trio_token()
        with trio.CancelScope() as self._scope:
            async with trio.open_nursery() as nursery:
                await nursery.start(partial(serve_control, self.path, self.backend, **self._options))
                self._started.set()


class SyncLineClient:
    """A raw blocking connection, for tests outside trio (the fuzz test)."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(HANG_GUARD_S)
        self.sock.connect(str(path))
        self._file = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def receive_line(self) -> bytes | None:
        try:
            line = self._file.readline()
        except ConnectionResetError:
            return None
        return line if line.endswith(b"\n") else None

    def receive(self) -> ServerMessage:
        line = self.receive_line()
        assert line is not None, "the server closed the connection"
        return decode_server_message(line)

    def close(self) -> None:
        self._file.close()
        self.sock.close()
