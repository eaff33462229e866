"""The lossy broadcaster: topics, sequence numbers, drop-oldest with counted notices, and closing."""

from __future__ import annotations

from decimal import Decimal

import pytest
import trio
import trio.testing
from hypothesis import given
from hypothesis import strategies as st

from tradloopd.broadcast import Broadcaster
from tradloopd.protocol import Dropped, EquityPoint, LogRecord, Update


def point(ts: int) -> EquityPoint:
    return EquityPoint(ts=ts, equity=Decimal(100 + ts), cash=Decimal(100))


def log(n: int) -> LogRecord:
    return LogRecord(ts=n, level="info", event="tick")


def drain(subscription) -> list[Update | Dropped]:  # type: ignore[no-untyped-def]
    items = []
    while True:
        try:
            items.append(subscription.receive_nowait())
        except trio.WouldBlock:
            return items


def test_a_subscriber_gets_its_topics_numbered_per_topic() -> None:
    broadcaster = Broadcaster()
    equity_only = broadcaster.subscribe(frozenset({"equity"}), buffer=10)
    both = broadcaster.subscribe(frozenset({"equity", "logs"}), buffer=10)
    broadcaster.publish_nowait("equity", point(1))
    broadcaster.publish_nowait("logs", log(1))
    broadcaster.publish_nowait("equity", point(2))
    assert [(u.topic, u.seq, u.data) for u in drain(equity_only)] == [("equity", 1, point(1)),
                                                                      ("equity", 2, point(2))]
    assert [(u.topic, u.seq) for u in drain(both)] == [("equity", 1), ("logs", 1), ("equity", 2)]


def test_a_full_queue_drops_the_oldest_and_says_how_many() -> None:
    broadcaster = Broadcaster()
    subscription = broadcaster.subscribe(frozenset({"equity"}), buffer=3)
    for ts in range(1, 9):
        broadcaster.publish_nowait("equity", point(ts))
    items = drain(subscription)
    assert items[0] == Dropped(topic="equity", count=5)
    assert [u.seq for u in items[1:]] == [6, 7, 8]
    stats = broadcaster.statistics()
    assert (stats.subscribers, stats.published, stats.delivered, stats.dropped, stats.queued) == (
        1, 8, 8, 5, 0)


def test_publishing_without_subscribers_still_numbers_the_topic() -> None:
    broadcaster = Broadcaster()
    broadcaster.publish_nowait("logs", log(1))
    subscription = broadcaster.subscribe(frozenset({"logs"}), buffer=2)
    broadcaster.publish_nowait("logs", log(2))
    assert [u.seq for u in drain(subscription)] == [2]
    assert broadcaster.statistics().published == 2


def test_wrong_topics_and_data_are_refused() -> None:
    broadcaster = Broadcaster()
    with pytest.raises(ValueError, match="unknown topic 'trades'"):
        broadcaster.publish_nowait("trades", log(1))
    with pytest.raises(TypeError, match="topic 'equity' carries EquityPoint, got LogRecord"):
        broadcaster.publish_nowait("equity", log(1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown topics"):
        broadcaster.subscribe(frozenset({"trades"}), buffer=1)
    with pytest.raises(ValueError, match="buffer must be at least 1"):
        broadcaster.subscribe(frozenset({"logs"}), buffer=0)


async def test_receive_waits_for_the_next_publication() -> None:
    broadcaster = Broadcaster()
    subscription = broadcaster.subscribe(frozenset({"logs"}), buffer=4)
    received: list[Update | Dropped] = []

    async def listen() -> None:
        received.append(await subscription.receive())

    async with trio.open_nursery() as nursery:
        nursery.start_soon(listen)
        await trio.testing.wait_all_tasks_blocked()
        assert received == []
        broadcaster.publish_nowait("logs", log(7))
    assert [u.data for u in received] == [log(7)]


async def test_closing_a_subscription_wakes_its_reader_and_unsubscribes() -> None:
    broadcaster = Broadcaster()
    subscription = broadcaster.subscribe(frozenset({"logs"}), buffer=4)
    async with trio.open_nursery() as nursery:

        async def listen() -> None:
            with pytest.raises(trio.ClosedResourceError):
                await subscription.receive()

        nursery.start_soon(listen)
        await trio.testing.wait_all_tasks_blocked()
        subscription.close()
    broadcaster.publish_nowait("logs", log(1))
    assert broadcaster.statistics().subscribers == 0
    assert broadcaster.statistics().delivered == 0


async def test_closing_the_broadcaster_lets_subscribers_finish_their_queue() -> None:
    broadcaster = Broadcaster()
    subscription = broadcaster.subscribe(frozenset({"logs"}), buffer=4)
    broadcaster.publish_nowait("logs", log(1))
    broadcaster.close()
    broadcaster.publish_nowait("logs", log(2))  # after close: counted, delivered to nobody
    assert [u.seq async for u in subscription] == [1]
    late = broadcaster.subscribe(frozenset({"logs"}), buffer=4)
    with pytest.raises(trio.EndOfChannel):
        await late.receive()


@given(topics=st.lists(st.sampled_from(["logs", "equity"]), max_size=60), buffer=st.integers(1, 8))
def test_every_publication_is_delivered_or_counted_as_dropped(topics: list[str], buffer: int) -> None:
    broadcaster = Broadcaster()
    subscription = broadcaster.subscribe(frozenset({"logs"}), buffer=buffer)
    for n, topic in enumerate(topics):
        broadcaster.publish_nowait(topic, point(n) if topic == "equity" else log(n))
    items = drain(subscription)
    updates = [item for item in items if isinstance(item, Update)]
    dropped = sum(item.count for item in items if isinstance(item, Dropped))
    wanted = [n for n, topic in enumerate(topics) if topic == "logs"]
    assert len(updates) == min(len(wanted), buffer)
    assert [u.data.ts for u in updates] == wanted[len(wanted) - len(updates):]  # the newest survive
    assert len(updates) + dropped == len(wanted)
