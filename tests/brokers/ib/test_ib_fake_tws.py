"""The fake TWS speaks the TWS API as the real ib_async client expects it, message for message."""

from __future__ import annotations

import re
import socket
import struct
import subprocess
import sys

import ib_async
import pytest
import trio
import trio_asyncio

from tests.brokers.ib.ib_helpers import WAIT_S
from tradloopd.demo.tws.inbound import SERVER_VERSION
from tradloopd.demo.tws.server import FakeTws

as_trio = trio_asyncio.aio_as_trio
STARTUP_REQUESTS = {"startApi", "reqPositions", "reqOpenOrders", "reqCompletedOrders", "reqAccountUpdates",
                    "reqAccountUpdatesMulti", "reqExecutions"}


async def _connected(tws: FakeTws, client_id: int = 11) -> ib_async.IB:
    ib = ib_async.IB()
    with trio.fail_after(WAIT_S):
        await as_trio(ib.connectAsync)("127.0.0.1", tws.port, clientId=client_id, timeout=WAIT_S,
                                   raiseSyncErrors=True)
    return ib


async def _disconnect(ib: ib_async.IB) -> None:
    async def disconnect() -> None:
        ib.disconnect()
    await as_trio(disconnect)()


def _decoder_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ib_async.Decoder" or "Error handling" in
            r.getMessage()]


async def test_ib_async_connects_and_its_startup_sync_is_answered(tws, aio, caplog):
    ib = await _connected(tws)
    assert ib.isConnected() and ib.managedAccounts() == ["DU1234567"]
    assert ib.client.serverVersion() == SERVER_VERSION
    assert set(tws.requests.counts()) == STARTUP_REQUESTS  # every one answered, or connect would time out
    assert {v.tag for v in ib.accountValues()} >= {"NetLiquidation", "CashBalance", "AccountCode"}
    assert _decoder_errors(caplog) == []
    await _disconnect(ib)


async def test_orders_round_trip_through_ib_async_with_every_field_it_reads(tws, aio, caplog):
    ib = await _connected(tws)
    [details] = await as_trio(ib.reqContractDetailsAsync)(ib_async.Stock("AAPL", "SMART", "USD"))
    contract = details.contract
    bracket = ib.bracketOrder("BUY", 10, limitPrice=201.0, takeProfitPrice=215.0, stopLossPrice=190.0)
    bracket.parent.orderRef = "rt-1"
    trail = ib_async.Order(action="SELL", totalQuantity=5, orderType="TRAIL LIMIT", auxPrice=2.0,
                           trailStopPrice=195.0, lmtPriceOffset=0.5, orderRef="rt-2", tif="GTC")

    async def place() -> list[ib_async.Trade]:
        return [ib.placeOrder(contract, order) for order in (*bracket, trail)]

    parent, take_profit, stop_loss, trailing = await as_trio(place)()
    with trio.fail_after(WAIT_S):
        open_trades = await as_trio(ib.reqOpenOrdersAsync)()  # answered after all that came before
    assert (parent.orderStatus.status, trailing.orderStatus.status) == ("Filled", "Submitted")
    assert (take_profit.orderStatus.status, stop_loss.orderStatus.status) == ("Submitted", "Submitted")
    assert (trailing.order.orderRef, trailing.order.orderType) == ("rt-2", "TRAIL LIMIT")
    assert [f.commissionReport.commission for f in parent.fills] == [1.0]
    assert parent.fills[0].execution.orderRef == "rt-1"

    # ib_async also counts the live openOrder messages that arrive while the request is open
    listed = {t.order.orderId: t for t in open_trades if t.orderStatus.status == "Submitted"}
    [trailing_listed] = [t for t in listed.values() if t.order.orderRef == "rt-2"]
    assert (trailing_listed.order.trailStopPrice, trailing_listed.order.lmtPriceOffset,
            trailing_listed.order.auxPrice) == (195.0, 0.5, 2.0)
    assert {t.order.orderId for t in listed.values() if t.order.parentId == parent.order.orderId} == {
        take_profit.order.orderId, stop_loss.order.orderId}
    completed = await as_trio(ib.reqCompletedOrdersAsync)(False)
    assert [(t.order.orderRef, t.orderStatus.status, t.order.filledQuantity) for t in completed] == [
        ("rt-1", "Filled", 10.0)]
    assert _decoder_errors(caplog) == []
    await _disconnect(ib)


async def test_positions_executions_and_the_account_summary(tws, aio, caplog):
    ib = await _connected(tws)
    [details] = await as_trio(ib.reqContractDetailsAsync)(ib_async.Forex("EURUSD"))

    async def buy() -> ib_async.Trade:
        return ib.placeOrder(details.contract, ib_async.MarketOrder("BUY", 25000, orderRef="pe-1"))

    await as_trio(buy)()
    fills = await as_trio(ib.reqExecutionsAsync)(ib_async.ExecutionFilter(time="20261118-00:00:00"))
    assert [(f.execution.orderRef, f.execution.shares, f.execution.price) for f in fills] == [
        ("pe-1", 25000.0, 1.1)]
    [position] = await as_trio(ib.reqPositionsAsync)()
    assert (position.contract.localSymbol, position.position, position.avgCost) == ("EUR.USD", 25000.0, 1.1)
    summary = {(v.tag, v.currency): v.value for v in await as_trio(ib.accountSummaryAsync)()}
    assert summary[("CashBalance", "EUR")] == "25000.00"
    assert summary[("TotalCashValue", "USD")] == "999998.00"  # 1,000,000 - 27,500 + 25,000 EUR at 1.1 - 2
    assert _decoder_errors(caplog) == []
    await _disconnect(ib)


async def test_a_stopped_tws_refuses_connections_and_a_restarted_one_serves_again(tws, aio):
    port = tws.port
    await tws.stop()
    with pytest.raises(ConnectionRefusedError):
        await _connected(tws)
    await tws.start()
    assert tws.port == port
    ib = await _connected(tws)
    assert ib.isConnected()
    await _disconnect(ib)


async def test_unknown_contracts_get_ibs_error_200(tws, aio):
    ib = await _connected(tws)
    errors: list[int] = []
    ib.errorEvent += lambda req_id, code, message, contract: errors.append(code)
    assert await as_trio(ib.reqContractDetailsAsync)(ib_async.Stock("NOPE", "SMART", "USD")) == []
    assert errors == [200]
    await _disconnect(ib)


def test_python_m_runs_the_fake_tws_for_demos():
    with subprocess.Popen([sys.executable, "-m", "tradloopd.demo.tws", "--port", "0"],
                          stdout=subprocess.PIPE, text=True) as process:
        _handshake(process)


def _handshake(process: subprocess.Popen[str]) -> None:
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        assert match, line
        with socket.create_connection(("127.0.0.1", int(match.group(1))), timeout=WAIT_S) as client:
            versions = b"v157..178"
            client.sendall(b"API\0" + struct.pack(">I", len(versions)) + versions)
            size = struct.unpack(">I", client.recv(4))[0]
            version, _time = client.recv(size).split(b"\0")[:2]
        assert int(version) == SERVER_VERSION
    finally:
        process.terminate()
        process.wait(timeout=WAIT_S)



async def test_a_client_that_does_not_speak_the_protocol_is_dropped(tws):
    with trio.fail_after(WAIT_S):
        stream = await trio.open_tcp_stream("127.0.0.1", tws.port)
        versions = b"v157..178"
        await stream.send_all(b"API\0" + struct.pack(">I", len(versions)) + versions)
        await stream.send_all(struct.pack(">I", 6) + b"hello\0")
        received = b""
        while chunk := await stream.receive_some(4096):
            received += chunk  # the server version, then the connection closes
    assert received[4:7] == str(SERVER_VERSION).encode()
    assert tws.internal_errors == []
    await stream.aclose()
