"""Several live feeds as one: every configured feed runs, and their bars merge into one channel.

`MultiFeed.run` starts each feed's `run` in one nursery with its own clone of the send channel, so
each stream keeps its order (bars of different feeds interleave as they close), and reports
started once every feed has. `history` asks the feed that serves the symbol. Backpressure is the
feeds' own: a full channel blocks the feed sending, bars are never dropped. A feed that fails
fatally (a contract IB does not know) cancels the others and the error reaches the daemon.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import trio

from tradloopd.messages import Bar


class SourceFeed(Protocol):
    """One live feed (`CcxtFeed`, `IbFeed`)."""

    async def run(self, send: trio.MemorySendChannel[Bar], *,
                  task_status: trio.TaskStatus[None] = ...) -> None: ...

    async def history(self, symbol: str, timeframe: str, bars: int | None = None) -> list[Bar]: ...

    def statistics(self) -> object: ...


class MultiFeed:
    """The feeds of one daemon, by name ("feed", "ib-feed"), each with the symbols it serves."""

    def __init__(self, feeds: Mapping[str, tuple[SourceFeed, Sequence[str]]]) -> None:
        self.feeds = {name: feed for name, (feed, _) in feeds.items()}
        self._owners: dict[str, str] = {}
        for name, (_, symbols) in feeds.items():
            for symbol in symbols:
                if self._owners.setdefault(symbol, name) != name:
                    raise ValueError(f"{symbol!r} is served by {self._owners[symbol]} and {name}")

    async def run(self, send: trio.MemorySendChannel[Bar], *,
                  task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Run every feed until cancelled; `started()` once all of them have started."""
        async with send, trio.open_nursery() as nursery:
            for feed in self.feeds.values():
                await nursery.start(feed.run, send.clone())
            task_status.started()

    async def history(self, symbol: str, timeframe: str, bars: int | None = None) -> list[Bar]:
        """The serving feed's history of `symbol` (its own `warmup-bars` when `bars` is None)."""
        if symbol not in self._owners:
            raise KeyError(f"no feed serves {symbol!r}")
        return await self.feeds[self._owners[symbol]].history(symbol, timeframe, bars)

    def statistics(self) -> dict[str, object]:
        return {name: feed.statistics() for name, feed in self.feeds.items()}
