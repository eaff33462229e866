"""Several feeds as one: bars of each merged in their order, history by symbol, started together."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from tradloopd.feeds.multi import MultiFeed
from tradloopd.messages import Bar


class ListFeed:
    """A feed that emits its bars once started, then waits; `history` returns them."""

    def __init__(self, symbol: str, count: int) -> None:
        self.bars = [Bar(symbol=symbol, ts_open=i, ts_event=i + 1, open=1.0, high=1.0, low=1.0, close=1.0,
                         volume=0.0) for i in range(count)]
        self.asked: list[tuple[str, str, int | None]] = []

    async def run(self, send, *, task_status=trio.TASK_STATUS_IGNORED):  # type: ignore[no-untyped-def]
        async with send:
            task_status.started()
            for bar in self.bars:
                await send.send(bar)
            await trio.sleep_forever()

    async def history(self, symbol: str, timeframe: str, bars: int | None = None) -> list[Bar]:
        self.asked.append((symbol, timeframe, bars))
        return self.bars

    def statistics(self) -> int:
        return len(self.bars)


async def test_bars_of_every_feed_arrive_each_stream_in_order(autojump_clock):
    crypto, stocks = ListFeed("BTC/USDT", 50), ListFeed("AAPL", 50)
    feed = MultiFeed({"feed": (crypto, ["BTC/USDT"]), "ib-feed": (stocks, ["AAPL"])})
    send, receive = trio.open_memory_channel[Bar](4)
    got: list[Bar] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(feed.run, send)
        async with receive:
            while len(got) < 100:
                got.append(await receive.receive())
        nursery.cancel_scope.cancel()
    for source in (crypto, stocks):
        assert [bar for bar in got if bar.symbol == source.bars[0].symbol] == source.bars
    assert feed.statistics() == {"feed": 50, "ib-feed": 50}


async def test_history_asks_the_feed_that_serves_the_symbol():
    crypto, stocks = ListFeed("BTC/USDT", 3), ListFeed("AAPL", 2)
    feed = MultiFeed({"feed": (crypto, ["BTC/USDT"]), "ib-feed": (stocks, ["AAPL"])})
    assert await feed.history("AAPL", "1m") == stocks.bars
    assert stocks.asked == [("AAPL", "1m", None)] and crypto.asked == []
    with pytest.raises(KeyError, match="no feed serves 'MSFT'"):
        await feed.history("MSFT", "1m")
    with pytest.raises(ValueError, match="'AAPL' is served by feed and ib-feed"):
        MultiFeed({"feed": (crypto, ["AAPL"]), "ib-feed": (stocks, ["AAPL"])})
