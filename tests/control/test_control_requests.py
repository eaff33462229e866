"""Every request through the real server to a fake node and back, with ids, refusals and failures."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest
import trio
from control_harness import LineClient
from fake_backend import T0, FakeBackend

from tradloopd.actors.control import serve_control
from tradloopd.ctl import ControlError, open_control
from tradloopd.errors import InvariantError
from tradloopd.model import OrderStatus, Side, TradingState
from tradloopd.protocol import (
    Cancel,
    CancelResult,
    Equity,
    Error,
    Fills,
    Flatten,
    FlattenResult,
    Halt,
    Orders,
    Positions,
    PositionsResult,
    Reply,
    Resume,
    Status,
    StatusResult,
    Submit,
)


async def test_queries_return_the_nodes_state(server: Path, backend: FakeBackend) -> None:
    async with open_control(server) as client:
        status = await client.request(Status())
        assert (status.node_id, status.trading_state, status.open_orders) == ("test-node",
                                                                              TradingState.ACTIVE, 2)
        assert status.strategies[0].indicators == {"sma_fast": 60950.5, "sma_slow": None}
        assert (await client.request(Positions())).positions == list(backend.positions.values())
        assert [o.client_order_id for o in (await client.request(Orders())).orders] == ["n1-2", "n1-3"]
        every = await client.request(Orders(status="all", symbol="BTC/USDT", limit=1))
        assert [o.client_order_id for o in every.orders] == ["n1-2"]
        assert [f.fill_id for f in (await client.request(Fills(since_ts=T0))).fills] == ["f1"]
        assert (await client.request(Fills(since_ts=T0 + 6))).fills == []
        points = (await client.request(Equity(limit=2))).points
        assert [p.equity for p in points] == [Decimal(100_003), Decimal(100_004)]


async def test_halt_and_resume_change_the_trading_state(server: Path, backend: FakeBackend) -> None:
    async with open_control(server) as client:
        halted = await client.request(Halt(reason="news at 14:30"))
        assert (halted.trading_state, halted.state_reason, halted.changed) == (TradingState.HALTED,
                                                                               "news at 14:30", True)
        assert backend.trading_state is TradingState.HALTED
        assert not (await client.request(Halt(reason="again"))).changed
        assert (await client.request(Submit(symbol="BTC/USDT", side=Side.BUY, quantity=Decimal(1)))
                ).reason == "trading is halted"
        resumed = await client.request(Resume())
        assert (resumed.trading_state, resumed.changed) == (TradingState.ACTIVE, True)


async def test_submit_goes_through_the_risk_guard(server: Path, backend: FakeBackend) -> None:
    async with open_control(server) as client:
        accepted = await client.request(Submit(symbol="ETH/USDT", side=Side.SELL, quantity=Decimal("1.5")))
        assert (accepted.client_order_id, accepted.accepted_by_risk) == ("manual-101", True)
        denied = await client.request(Submit(symbol="ETH/USDT", side=Side.BUY, quantity=Decimal(11)))
        assert (denied.accepted_by_risk, denied.reason) == (False, "quantity above the maximum 10")
    assert backend.orders["manual-101"].quantity == Decimal("1.5")
    assert backend.orders["manual-102"].status is OrderStatus.DENIED


async def test_cancel_and_flatten(server: Path, backend: FakeBackend) -> None:
    async with open_control(server) as client:
        assert await client.request(Cancel(client_order_id="n1-3")) == CancelResult(client_order_ids=["n1-3"])
        with pytest.raises(ControlError) as caught:
            await client.request(Cancel(client_order_id="n1-3"))
        assert (caught.value.code, caught.value.message) == ("not_found", "no working order n1-3")
        flattened = await client.request(Flatten(symbol="BTC/USDT"))
        assert flattened == FlattenResult(canceled=["n1-2"], submitted=["manual-101"])
        assert await client.request(Cancel(all=True)) == CancelResult(client_order_ids=["manual-101"])
    assert backend.positions == {}


async def test_ids_are_echoed_in_request_order_when_pipelined(server: Path) -> None:
    client = await LineClient.open(server)
    await client.send(b'{"type":"status","id":5}\n{"type":"positions","id":9}\n{"type":"fills","id":10}\n')
    replies = [await client.receive() for _ in range(3)]
    assert [(r.id, type(r.result).__name__) for r in replies] == [  # type: ignore[union-attr]
        (5, "StatusResult"), (9, "PositionsResult"), (10, "FillsResult")]
    await client.aclose()


async def test_ids_must_increase_so_a_repeated_command_does_nothing(server: Path,
                                                                     backend: FakeBackend) -> None:
    client = await LineClient.open(server)
    assert isinstance(await client.request(b'{"type":"resume","id":7}\n'), Reply)
    for repeated in (b'{"type":"halt","id":7,"reason":"x"}\n', b'{"type":"halt","id":3,"reason":"x"}\n'):
        error = await client.request(repeated)
        assert isinstance(error, Error)
        assert (error.id, error.code) == (int(repeated.split(b'"id":')[1].split(b",")[0]), "duplicate_id")
    assert backend.trading_state is TradingState.ACTIVE
    assert isinstance(await client.request(b'{"type":"status","id":8}\n'), Reply)
    await client.aclose()


async def test_a_request_without_id_is_refused(server: Path, backend: FakeBackend) -> None:
    client = await LineClient.open(server)
    assert await client.request(b'{"type":"halt","reason":"x"}\n') == Error(
        id=None, code="bad_request", message="every request needs an integer id")
    assert backend.requests == []
    await client.aclose()


async def test_a_failing_backend_answers_internal_and_the_server_goes_on(
        server: Path, backend: FakeBackend) -> None:
    backend.fail_with = RuntimeError("database is locked")
    client = await LineClient.open(server)
    assert await client.request(b'{"type":"status","id":1}\n') == Error(
        id=1, code="internal", message="the request failed; the daemon log has why")
    assert isinstance(await client.request(b'{"type":"status","id":2}\n'), Reply)
    other = await LineClient.open(server)
    assert isinstance(await other.request(b'{"type":"status","id":1}\n'), Reply)
    await client.aclose()
    await other.aclose()


async def test_a_wrong_result_type_from_the_backend_is_internal(server: Path, backend: FakeBackend) -> None:
    async def wrong(request: object) -> PositionsResult:
        return PositionsResult(positions=[])

    backend.query = wrong  # type: ignore[method-assign]
    client = await LineClient.open(server)
    error = await client.request(b'{"type":"status","id":1}\n')
    assert isinstance(error, Error) and error.code == "internal"
    await client.aclose()


async def test_a_slow_backend_answers_timeout(nursery: trio.Nursery, socket_path: Path,
                                              backend: FakeBackend) -> None:
    await nursery.start(partial(serve_control, socket_path, backend, request_timeout_s=0.05))
    backend.gate = trio.Event()
    async with open_control(socket_path) as client:
        with pytest.raises(ControlError) as caught:
            await client.request(Status())
        assert caught.value.code == "timeout"
        backend.gate.set()
        assert isinstance(await client.request(Status()), StatusResult)


async def test_a_broken_invariant_in_the_node_stops_the_server(socket_path: Path,
                                                                backend: FakeBackend) -> None:
    backend.fail_with = InvariantError("position does not match fills")
    with pytest.RaisesGroup(InvariantError, flatten_subgroups=True):
        async with trio.open_nursery() as nursery:
            await nursery.start(partial(serve_control, socket_path, backend))
            client = await LineClient.open(socket_path)
            async with client.stream:
                await client.send(b'{"type":"status","id":1}\n')
                await trio.sleep_forever()  # the server's crash cancels this
    assert not await trio.Path(socket_path).exists()


async def test_an_oversized_line_is_refused_and_the_connection_closed(
        nursery: trio.Nursery, socket_path: Path, backend: FakeBackend) -> None:
    await nursery.start(partial(serve_control, socket_path, backend, max_line_bytes=1024))
    client = await LineClient.open(socket_path)
    await client.send(b'{"type":"halt","id":1,"reason":"' + b"x" * 2000 + b'"}\n')
    assert await client.receive() == Error(id=None, code="too_large",
                                           message="a line may have at most 1024 bytes; closing")
    assert await client.receive_line() is None
    assert backend.requests == []
    await client.aclose()
    again = await LineClient.open(socket_path)
    assert isinstance(await again.request(b'{"type":"status","id":1}\n'), Reply)
    await again.aclose()
