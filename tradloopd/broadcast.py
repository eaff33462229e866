"""A lossy broadcaster: the node publishes observer updates without ever waiting for a subscriber.

Each subscription has its own bounded queue. When it is full, publishing discards the **oldest**
queued update (observers want the newest state: an order row, an equity point, the latest status)
and counts it; the subscriber's next `receive` returns a `Dropped{topic, count}` notice before the
updates that follow the gap. Every topic numbers its publications (`seq` from 1), so a client can
also see exactly where the gap was. Use it from the trio thread only; it is not thread-safe.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable

import msgspec
import trio

from tradloopd.protocol import TOPIC_DATA, TOPICS, Dropped, Update, UpdateData


class BroadcastStatistics(msgspec.Struct, frozen=True, kw_only=True):
    subscribers: int
    published: int  # updates published, whether anyone listened or not
    delivered: int  # copies handed to a subscriber's queue
    dropped: int  # copies discarded because a subscriber's queue was full
    queued: int  # copies waiting in subscribers' queues now


class Broadcaster:
    """Publishes updates by topic to every subscription that asked for the topic."""

    def __init__(self, topics: Iterable[str] = TOPICS) -> None:
        self._subscribers: dict[str, set[BroadcastSubscription]] = {topic: set() for topic in topics}
        self._seq: Counter[str] = Counter()
        self._published = 0
        self._delivered = 0
        self._dropped = 0
        self._closed = False

    def publish_nowait(self, topic: str, data: UpdateData) -> None:
        """Queue `data` for every subscriber of `topic`; never blocks, drops the oldest when full."""
        subscribers = self._subscribers.get(topic)
        if subscribers is None:
            raise ValueError(f"unknown topic {topic!r}; known: {sorted(self._subscribers)}")
        expected = TOPIC_DATA.get(topic)
        if expected is not None and not isinstance(data, expected):
            raise TypeError(f"topic {topic!r} carries {expected.__name__}, got {type(data).__name__}")
        self._seq[topic] += 1
        self._published += 1
        update = Update(topic=topic, seq=self._seq[topic], data=data)  # type: ignore[arg-type]
        for subscription in subscribers:
            self._dropped += subscription.put_nowait(update)
            self._delivered += 1

    def subscribe(self, topics: frozenset[str], *, buffer: int) -> BroadcastSubscription:
        """A new subscription holding at most `buffer` updates; unknown topics raise ValueError."""
        unknown = topics - self._subscribers.keys()
        if unknown or not topics:
            raise ValueError(f"unknown topics {sorted(unknown)}; known: {sorted(self._subscribers)}")
        if buffer < 1:
            raise ValueError(f"buffer must be at least 1, got {buffer}")
        subscription = BroadcastSubscription(self, topics, buffer)
        if self._closed:
            subscription.end()
            return subscription
        for topic in topics:
            self._subscribers[topic].add(subscription)
        return subscription

    def close(self) -> None:
        """End every subscription: each receives what is queued, then `trio.EndOfChannel`."""
        self._closed = True
        for subscribers in self._subscribers.values():
            for subscription in subscribers:
                subscription.end()
            subscribers.clear()

    def statistics(self) -> BroadcastStatistics:
        subscriptions = {s for subs in self._subscribers.values() for s in subs}
        return BroadcastStatistics(
            subscribers=len(subscriptions), published=self._published, delivered=self._delivered,
            dropped=self._dropped, queued=sum(len(s) for s in subscriptions),
        )

    def _remove(self, subscription: BroadcastSubscription) -> None:
        for topic in subscription.topics:
            self._subscribers[topic].discard(subscription)


class BroadcastSubscription:
    """One subscriber's bounded queue; `close()` unsubscribes. Also an async iterator of updates."""

    def __init__(self, broadcaster: Broadcaster, topics: frozenset[str], buffer: int) -> None:
        self.topics = topics
        self._broadcaster = broadcaster
        self._queue: deque[Update] = deque()
        self._buffer = buffer
        self._dropped: Counter[str] = Counter()  # per topic, not yet reported
        self._lot = trio.lowlevel.ParkingLot()
        self._closed = False
        self._ended = False

    def __len__(self) -> int:
        return len(self._queue)

    def put_nowait(self, update: Update) -> int:
        """Queue one update; returns how many old ones it pushed out (0 or 1)."""
        pushed_out = 0
        if len(self._queue) >= self._buffer:
            self._dropped[self._queue.popleft().topic] += 1
            pushed_out = 1
        self._queue.append(update)
        self._lot.unpark_all()
        return pushed_out

    def receive_nowait(self) -> Update | Dropped:
        """The next notice or update; raises `trio.WouldBlock` when there is none."""
        if self._closed:
            raise trio.ClosedResourceError("subscription is closed")
        if self._dropped:
            topic, count = self._dropped.popitem()
            return Dropped(topic=topic, count=count)  # type: ignore[arg-type]
        if self._queue:
            return self._queue.popleft()
        if self._ended:
            raise trio.EndOfChannel
        raise trio.WouldBlock

    async def receive(self) -> Update | Dropped:
        await trio.lowlevel.checkpoint()
        while True:
            try:
                return self.receive_nowait()
            except trio.WouldBlock:
                await self._lot.park()

    def close(self) -> None:
        """Unsubscribe; a pending or later `receive` raises `trio.ClosedResourceError`."""
        if not self._closed:
            self._closed = True
            self._queue.clear()
            self._broadcaster._remove(self)
            self._lot.unpark_all()

    def end(self) -> None:
        self._ended = True
        self._lot.unpark_all()

    def __aiter__(self) -> BroadcastSubscription:
        return self

    async def __anext__(self) -> Update | Dropped:
        try:
            return await self.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            raise StopAsyncIteration from None
