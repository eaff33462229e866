"""The three clients (blocking, trio, asyncio) against the real server, and their connection errors."""

from __future__ import annotations

import asyncio
import socket
from decimal import Decimal
from pathlib import Path

import pytest
import trio
from control_harness import ServerThread
from fake_backend import FakeBackend

from tradloopd.ctl import ControlError, connect, open_control, open_control_asyncio
from tradloopd.model import Side
from tradloopd.protocol import (
    EquityPoint,
    Fills,
    Halt,
    Positions,
    Status,
    Submit,
    Subscribe,
    Update,
)


def test_blocking_client_requests_and_follows_updates(served: ServerThread, backend: FakeBackend) -> None:
    with connect(served.path) as client:
        assert client.welcome.node_id == "test-node"
        assert client.request(Positions()).positions[0].quantity == Decimal("0.5")
        client.request(Subscribe(topics=frozenset({"equity"})))
        served.call(backend.broadcaster.publish_nowait, "equity",
                    EquityPoint(ts=1, equity=Decimal(5), cash=Decimal(5)))
        served.call(backend.broadcaster.publish_nowait, "equity",
                    EquityPoint(ts=2, equity=Decimal(6), cash=Decimal(5)))
        assert client.request(Status()).node_id == "test-node"  # updates arriving meanwhile are kept
        assert [client.receive_update(timeout_s=5).seq for _ in range(2)] == [1, 2]  # type: ignore[union-attr]
        with pytest.raises(ControlError) as caught:
            client.receive_update(timeout_s=0.01)
        assert caught.value.code == "timeout"


def test_blocking_client_reports_a_refusal_with_its_code(served: ServerThread) -> None:
    with connect(served.path) as client, pytest.raises(ControlError) as caught:
        client.request(Fills(symbol="BTC/USDT", limit=5, since_ts=-1))  # type: ignore[arg-type]
    assert caught.value.code == "bad_request"
    assert "$.since_ts" in caught.value.message


def test_asyncio_client_serves_concurrent_requests_and_updates(served: ServerThread,
                                                               backend: FakeBackend) -> None:
    async def main() -> None:
        async with open_control_asyncio(served.path, client_name="monitor-test") as client:
            assert client.welcome.protocol == 1
            results = await asyncio.gather(*(client.request(Status()) for _ in range(5)),
                                           client.request(Positions()))
            assert [type(r).__name__ for r in results] == ["StatusResult"] * 5 + ["PositionsResult"]
            await client.request(Subscribe(topics=frozenset({"orders"})))
            submitted = await client.request(Submit(symbol="BTC/USDT", side=Side.BUY, quantity=Decimal(1)))
            update = await client.receive_update()
            assert isinstance(update, Update)
            assert update.data.client_order_id == submitted.client_order_id  # type: ignore[union-attr]

    asyncio.run(main())


def test_asyncio_client_sees_the_daemon_go_away(served: ServerThread) -> None:
    async def main() -> None:
        async with open_control_asyncio(served.path) as client:
            await asyncio.to_thread(served.stop)
            with pytest.raises(ControlError) as caught:
                await client.receive_update()
            assert caught.value.code == "disconnected"
            with pytest.raises(ControlError) as caught:
                await client.request(Status())
            assert caught.value.code == "disconnected"

    asyncio.run(main())


async def test_trio_client_matches_concurrent_requests_to_their_replies(server: Path) -> None:
    results: dict[int, str] = {}
    async with open_control(server) as client:

        async def ask(n: int) -> None:
            request = Status() if n % 2 else Halt(reason=f"halt {n}")
            results[n] = type(await client.request(request)).__name__

        async with trio.open_nursery() as nursery:
            for n in range(10):
                nursery.start_soon(ask, n)
    assert results == {n: "StatusResult" if n % 2 else "HaltResult" for n in range(10)}


async def test_missing_and_stale_sockets_say_no_daemon(socket_path: Path) -> None:
    with pytest.raises(ControlError) as caught:
        connect(socket_path)
    assert (caught.value.code, caught.value.message) == (
        "no_daemon", f"no daemon at {socket_path} — is `tradloopd run` running?")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as crashed:
        crashed.bind(str(socket_path))
    with pytest.raises(ControlError, match="only a stale socket file is left"):
        async with open_control(socket_path):
            pass
