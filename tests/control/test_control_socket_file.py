"""The socket file: private from birth, stale ones replaced, a live daemon never displaced, gone at exit."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import trio
from control_harness import LineClient
from fake_backend import FakeBackend

from tradloopd.actors.control import serve_control
from tradloopd.errors import ConfigError
from tradloopd.protocol import Reply


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Run with umask 0, as a careless service manager might."""
    old = os.umask(0)
    yield
    os.umask(old)


async def test_the_socket_is_private_even_under_an_open_umask(open_umask: None, server: Path) -> None:
    info = os.lstat(server)
    assert stat.S_ISSOCK(info.st_mode)
    assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o600, os.geteuid())


async def test_a_stale_socket_from_a_crash_is_replaced(nursery: trio.Nursery, socket_path: Path,
                                                       backend: FakeBackend) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as crashed:
        crashed.bind(str(socket_path))  # bound, never listening: what a killed daemon leaves
    await nursery.start(partial(serve_control, socket_path, backend))
    client = await LineClient.open(socket_path)
    assert isinstance(await client.request(b'{"type":"status","id":1}\n'), Reply)
    await client.aclose()


async def test_a_second_daemon_is_refused_and_the_first_keeps_serving(server: Path,
                                                                      backend: FakeBackend) -> None:
    inode = os.lstat(server).st_ino
    with pytest.raises(ConfigError, match="another daemon is already listening on"):
        await serve_control(server, FakeBackend())
    assert os.lstat(server).st_ino == inode
    client = await LineClient.open(server)
    assert isinstance(await client.request(b'{"type":"status","id":1}\n'), Reply)
    await client.aclose()


async def test_a_file_that_is_not_a_socket_is_left_alone(socket_path: Path, backend: FakeBackend) -> None:
    await trio.Path(socket_path).write_text("notes")
    with pytest.raises(ConfigError, match="exists and is not a socket"):
        await serve_control(socket_path, backend)
    assert await trio.Path(socket_path).read_text() == "notes"


async def test_the_socket_is_removed_on_shutdown_and_clients_see_the_end(socket_path: Path,
                                                                         backend: FakeBackend) -> None:
    async with trio.open_nursery() as nursery:
        await nursery.start(partial(serve_control, socket_path, backend))
        client = await LineClient.open(socket_path)
        nursery.cancel_scope.cancel()
    assert not await trio.Path(socket_path).exists()
    assert await client.receive_line() is None
    await client.aclose()


async def test_shutdown_leaves_a_socket_that_replaced_ours(socket_path: Path, backend: FakeBackend) -> None:
    async with trio.open_nursery() as nursery:
        await nursery.start(partial(serve_control, socket_path, backend))
        await trio.Path(socket_path).unlink()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as newer:
            newer.bind(str(socket_path))
        nursery.cancel_scope.cancel()
    assert stat.S_ISSOCK(os.lstat(socket_path).st_mode)


async def test_unusable_paths_are_explained(tmp_path: Path, backend: FakeBackend) -> None:
    with pytest.raises(ConfigError, match="longer than 107 bytes"):
        await serve_control(tmp_path / ("x" * 120) / "control.sock", backend)
    with pytest.raises(ConfigError, match=r"cannot create the control socket .*No such file or directory"):
        await serve_control(Path("/nonexistent-state-dir/c.sock"), backend)
