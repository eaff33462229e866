"""The hello exchange: version negotiation, requests before hello, a second hello, foreign users."""

from __future__ import annotations

import os
import socket
from functools import partial
from pathlib import Path

import trio
from control_harness import LineClient, hello_line
from fake_backend import FakeBackend

from tradloopd import __version__
from tradloopd.actors.control import peer_allowed, peer_uid, serve_control
from tradloopd.model import TradingState
from tradloopd.protocol import MAX_LINE_BYTES, TOPICS, Error, Reply, StatusResult, Welcome


async def test_hello_is_answered_with_who_the_daemon_is(server: Path) -> None:
    client = await LineClient.open(server, greet=False)
    welcome = await client.request(hello_line())
    assert welcome == Welcome(protocol=1, node_id="test-node", version=__version__, topics=list(TOPICS),
                              max_line_bytes=MAX_LINE_BYTES)
    await client.aclose()


async def test_another_protocol_version_is_refused_and_the_connection_closed(
        server: Path, backend: FakeBackend) -> None:
    client = await LineClient.open(server, greet=False)
    error = await client.request(hello_line(protocol=2))
    assert isinstance(error, Error)
    assert (error.id, error.code) == (None, "unsupported_version")
    assert "speaks protocol 1, the client 2" in error.message
    assert await client.receive_line() is None
    assert backend.requests == []
    await client.aclose()


async def test_a_request_before_hello_is_refused_and_does_nothing(server: Path, backend: FakeBackend) -> None:
    client = await LineClient.open(server, greet=False)
    error = await client.request(b'{"type":"halt","id":4,"reason":"sneaky"}\n')
    assert error == Error(id=4, code="out_of_order",
                          message='send a hello first: {"type":"hello","protocol":1}')
    assert isinstance(await client.request(hello_line()), Welcome)
    reply = await client.request(b'{"type":"status","id":1}\n')
    assert isinstance(reply, Reply) and isinstance(reply.result, StatusResult)
    assert reply.result.trading_state is TradingState.ACTIVE
    assert [type(r).__name__ for r in backend.requests] == ["Status"]
    await client.aclose()


async def test_a_second_hello_is_refused_and_the_connection_goes_on(server: Path) -> None:
    client = await LineClient.open(server)
    assert await client.request(hello_line()) == Error(id=None, code="out_of_order",
                                                       message="hello was already sent")
    assert isinstance(await client.request(b'{"type":"positions","id":1}\n'), Reply)
    await client.aclose()


async def test_a_newer_clients_hello_with_more_fields_is_welcome(server: Path) -> None:
    client = await LineClient.open(server, greet=False)
    answer = await client.request(b'{"type":"hello","protocol":1,"client":"monitor","compress":"zstd"}\n')
    assert isinstance(answer, Welcome)
    await client.aclose()


async def test_another_user_is_refused_before_anything_else(nursery: trio.Nursery, socket_path: Path,
                                                            backend: FakeBackend) -> None:
    await nursery.start(partial(serve_control, socket_path, backend, allowed_uid=os.geteuid() + 1))
    client = await LineClient.open(socket_path, greet=False)
    refusal = await client.receive()
    assert refusal == Error(id=None, code="denied", message=f"only uid {os.geteuid() + 1} may connect")
    assert await client.receive_line() is None
    await client.aclose()


def test_only_the_daemons_own_user_is_allowed() -> None:
    assert peer_allowed(1000, 1000)
    assert not peer_allowed(1001, 1000)
    assert not peer_allowed(0, 1000)  # not even root: run tradloopctl as the daemon's user
    assert peer_allowed(None, 1000)  # no peer credentials on this platform: the 0600 mode decides


def test_the_peer_uid_is_read_from_the_socket() -> None:
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with left, right:
        assert peer_uid(trio.socket.from_stdlib_socket(left)) == os.geteuid()
