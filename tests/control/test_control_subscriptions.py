"""Subscriptions over the socket: updates in order, lossy per-topic queues, and slow clients dropped."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from pathlib import Path

import trio
import trio.testing
from control_harness import HANG_GUARD_S, LineClient
from fake_backend import FakeBackend

from tradloopd.actors.control import serve_control
from tradloopd.protocol import (
    BarRow,
    Dropped,
    EquityPoint,
    LogRecord,
    Reply,
    SubscriptionsResult,
    Update,
)


def bar(n: int) -> BarRow:
    return BarRow(symbol="BTC/USDT", timeframe="1m", ts_open=n, ts_event=n + 60, open=1.0, high=2.0, low=0.5,
                  close=1.5, volume=10.0)


def point(n: int) -> EquityPoint:
    return EquityPoint(ts=n, equity=Decimal(n), cash=Decimal(1))


async def subscribe(client: LineClient, line: bytes) -> SubscriptionsResult:
    reply = await client.request(line)
    assert isinstance(reply, Reply) and isinstance(reply.result, SubscriptionsResult)
    await trio.testing.wait_all_tasks_blocked()  # the topic pumps are waiting for updates
    return reply.result


async def test_subscribed_topics_arrive_numbered_and_others_do_not(server: Path,
                                                                    backend: FakeBackend) -> None:
    client = await LineClient.open(server)
    result = await subscribe(client, b'{"type":"subscribe","id":1,"topics":["equity","bars"]}\n')
    assert result.topics == ["bars", "equity"]
    backend.broadcaster.publish_nowait("logs", LogRecord(ts=1, level="info", event="not_for_you"))
    backend.broadcaster.publish_nowait("equity", point(1))
    backend.broadcaster.publish_nowait("equity", point(2))
    received = [await client.receive(), await client.receive()]
    assert received == [Update(topic="equity", seq=1, data=point(1)),
                        Update(topic="equity", seq=2, data=point(2))]
    await client.aclose()


async def test_commands_publish_order_updates_to_subscribers(server: Path) -> None:
    watcher = await LineClient.open(server)
    await subscribe(watcher, b'{"type":"subscribe","id":1,"topics":["orders"]}\n')
    actor = await LineClient.open(server)
    assert isinstance(await actor.request(b'{"type":"cancel","id":1,"client_order_id":"n1-2"}\n'), Reply)
    update = await watcher.receive()
    assert isinstance(update, Update) and update.topic == "orders"
    assert (update.data.client_order_id, update.data.status) == ("n1-2", "canceled")  # type: ignore[union-attr]
    await watcher.aclose()
    await actor.aclose()


async def test_no_update_of_a_topic_follows_its_unsubscribe_reply(server: Path, backend: FakeBackend) -> None:
    client = await LineClient.open(server)
    await subscribe(client, b'{"type":"subscribe","id":1,"topics":["equity","logs"]}\n')
    reply = await client.request(b'{"type":"unsubscribe","id":2,"topics":["equity"]}\n')
    assert reply == Reply(id=2, result=SubscriptionsResult(topics=["logs"]))
    backend.broadcaster.publish_nowait("equity", point(1))
    assert isinstance(await client.request(b'{"type":"unsubscribe","id":3}\n'), Reply)
    backend.broadcaster.publish_nowait("logs", LogRecord(ts=1, level="info", event="late"))
    assert isinstance(await client.request(b'{"type":"status","id":4}\n'), Reply)
    assert backend.broadcaster.statistics().subscribers == 0
    await client.aclose()


async def test_a_slow_reader_gets_the_newest_updates_and_a_count_of_the_rest(
        nursery: trio.Nursery, socket_path: Path, backend: FakeBackend) -> None:
    await nursery.start(partial(serve_control, socket_path, backend))
    client = await LineClient.open(socket_path)
    await subscribe(client, b'{"type":"subscribe","id":1,"topics":["bars","equity"],"buffer":3}\n')
    backend.broadcaster.publish_nowait("equity", point(1))
    for n in range(10):  # without a checkpoint: nothing is sent meanwhile, as if the client were slow
        backend.broadcaster.publish_nowait("bars", bar(n))
    received = [await client.receive() for _ in range(5)]
    assert Update(topic="equity", seq=1, data=point(1)) in received  # bars never push out equity
    assert Dropped(topic="bars", count=7) in received
    assert [m.seq for m in received if isinstance(m, Update) and m.topic == "bars"] == [8, 9, 10]
    assert backend.broadcaster.statistics().dropped == 7
    await client.aclose()


async def test_a_client_that_stops_reading_is_dropped_without_slowing_others(
        nursery: trio.Nursery, socket_path: Path, backend: FakeBackend) -> None:
    await nursery.start(partial(serve_control, socket_path, backend, send_timeout_s=0.2))
    stuck = await LineClient.open(socket_path)
    await subscribe(stuck, b'{"type":"subscribe","id":1,"topics":["logs"]}\n')
    healthy = await LineClient.open(socket_path)
    big = LogRecord(ts=0, level="info", event="flood", fields={"blob": "x" * 65_536})
    answered = 0
    with trio.fail_after(HANG_GUARD_S):
        while backend.broadcaster.statistics().subscribers:  # until the server gives up on `stuck`
            backend.broadcaster.publish_nowait("logs", big)
            reply = await healthy.request(b'{"type":"status","id":%d}\n' % (answered + 1))
            assert isinstance(reply, Reply)
            answered += 1
    assert answered > 1
    while (line := await stuck.receive_line()) is not None:  # what was in flight, then the end
        assert line.startswith(b'{"type":"update"') or line.startswith(b'{"type":"dropped"')
    await stuck.aclose()
    await healthy.aclose()


async def test_the_node_ending_its_broadcaster_leaves_requests_working(server: Path,
                                                                        backend: FakeBackend) -> None:
    client = await LineClient.open(server)
    await subscribe(client, b'{"type":"subscribe","id":1,"topics":["logs"]}\n')
    backend.broadcaster.close()
    await trio.testing.wait_all_tasks_blocked()
    assert isinstance(await client.request(b'{"type":"status","id":2}\n'), Reply)
    await client.aclose()
