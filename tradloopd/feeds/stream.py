"""Which candles of one (symbol, timeframe) a live feed emits: closed ones only, each once, in order.

A pure core, no I/O: the feed asks it when the next candle is due and from where to fetch, hands it
whatever the venue answered, and emits the bars it returns. The cursor is the open time of the last
candle emitted; anything at or before it is a duplicate, anything still forming at `now` is held
back, and a jump of more than one candle past the cursor is a gap at the venue (counted).
"""

from __future__ import annotations

from typing import NamedTuple

from tradloopd.feeds.timeframes import timeframe_ms
from tradloopd.messages import Bar

NS_PER_MS = 1_000_000
MAX_LIMIT = 1000


class Candle(NamedTuple):
    """One OHLCV row as a venue sent it, already checked to be numbers."""

    ts_open_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float


class CandleStream:
    """The state of one (symbol, timeframe) between polls, and its counters."""

    def __init__(self, symbol: str, timeframe: str) -> None:
        self.symbol = symbol
        self.timeframe = timeframe
        self.length_ns = timeframe_ms(timeframe) * NS_PER_MS
        self.cursor_ns: int | None = None
        self.bars_emitted = 0
        self.backfilled = 0
        self.missing = 0
        self._cursor_on_grid = False

    @property
    def last_ts_open(self) -> int | None:
        """Open time of the last bar emitted (or the starting point), ns."""
        return self.cursor_ns

    def start_after(self, ts_open_ns: int) -> None:
        """Emit only candles that open after `ts_open_ns` (the last one a warm-up already delivered)."""
        if self.cursor_ns is None or ts_open_ns > self.cursor_ns:
            self.cursor_ns = ts_open_ns
            self._cursor_on_grid = True

    def start_from(self, candles: list[Candle], now_ns: int) -> None:
        """At connect, without a warm-up: begin after the newest candle already closed at `now_ns`."""
        if self.cursor_ns is not None:
            return
        closed = [c.ts_open_ms * NS_PER_MS for c in candles if self._closed(c, now_ns)]
        if closed:
            self.start_after(max(closed))
        else:
            self.cursor_ns = now_ns - self.length_ns

    def start_before(self, now_ns: int, bars: int) -> None:
        """Begin with the last `bars` candles closed at `now_ns` (a warm-up history)."""
        self.cursor_ns = now_ns - (bars + 1) * self.length_ns
        self._cursor_on_grid = False

    def next_poll_ns(self) -> int:
        """When to ask the venue next: once the candle after the cursor has closed."""
        assert self.cursor_ns is not None, "stream not started"
        return self.cursor_ns + 2 * self.length_ns

    def since_ms(self) -> int:
        assert self.cursor_ns is not None, "stream not started"
        return self.cursor_ns // NS_PER_MS + 1

    def limit(self, now_ns: int) -> int:
        """How many candles to ask for: those closed since the cursor plus the forming one."""
        assert self.cursor_ns is not None, "stream not started"
        behind = (now_ns - self.cursor_ns) // self.length_ns
        return max(2, min(MAX_LIMIT, behind))

    def accept(self, candles: list[Candle], now_ns: int) -> list[Bar]:
        """The bars to emit from a venue reply read at `now_ns`, counted as emitted at once."""
        bars = self.select(candles, now_ns)
        for bar in bars:
            self.emitted(bar, now_ns)
        return bars

    def select(self, candles: list[Candle], now_ns: int) -> list[Bar]:
        """The closed candles after the cursor in a venue reply read at `now_ns`, oldest first, once each.

        Nothing changes until each is confirmed with `emitted`, so a bar that could not be delivered
        is selected again next time.
        """
        assert self.cursor_ns is not None, "stream not started"
        bars: list[Bar] = []
        last = self.cursor_ns
        for candle in sorted(candles):
            ts_open = candle.ts_open_ms * NS_PER_MS
            if ts_open <= last:
                continue
            if not self._closed(candle, now_ns):
                break
            bars.append(self._bar(candle, ts_open))
            last = ts_open
        return bars

    def emitted(self, bar: Bar, now_ns: int) -> None:
        """Move the cursor past a delivered bar, counting a gap before it and whether it was late."""
        assert self.cursor_ns is not None and bar.ts_open > self.cursor_ns, "bars must be emitted in order"
        if self._cursor_on_grid and bar.ts_open > self.cursor_ns + self.length_ns:
            self.missing += (bar.ts_open - self.cursor_ns) // self.length_ns - 1
        if bar.ts_open + 2 * self.length_ns <= now_ns:
            self.backfilled += 1
        self.bars_emitted += 1
        self.cursor_ns, self._cursor_on_grid = bar.ts_open, True

    def _closed(self, candle: Candle, now_ns: int) -> bool:
        return candle.ts_open_ms * NS_PER_MS + self.length_ns <= now_ns

    def _bar(self, candle: Candle, ts_open: int) -> Bar:
        return Bar(symbol=self.symbol, ts_open=ts_open, ts_event=ts_open + self.length_ns,
                   open=candle.open, high=candle.high, low=candle.low, close=candle.close,
                   volume=candle.volume)
