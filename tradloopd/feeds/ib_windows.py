"""Which Interactive Brokers historical bars a live stream asks for next, and which it emits.

A pure core, no I/O. IB serves bars by end time, duration and bar size. A stream asks for a
*window* [start, end): from right after the last bar it emitted to the newest bar boundary the
feed's clock has safely passed, at most one IB step long (`MAX_SPAN_S`: IB refuses longer
durations for small bars), so a gap after an outage is paged through window by window. Of the
answer, the bars closed by the window's end and after the last one emitted are emitted, once each
and in order (`CandleStream`). A stream asks once per bar that closes, never more.

IB has no bar where nothing traded or the market is closed (nights, weekends), and may finish a
bar a moment late. A bar a window lacked is asked for again by the next windows until it is
`late_ns` old, then given up (a gap); and when the bar before it came (the market is trading), the
newest bar is asked again at once, up to `late_retries` times, rather than at the next bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tradloopd.errors import ConfigError
from tradloopd.feeds.stream import Candle, CandleStream
from tradloopd.messages import Bar

NS_PER_S = 1_000_000_000
DAY_S = 86_400
# Our timeframe -> IB's barSizeSetting.
BAR_SIZES = {"1s": "1 secs", "5s": "5 secs", "10s": "10 secs", "15s": "15 secs", "30s": "30 secs",
             "1m": "1 min", "3m": "3 mins", "5m": "5 mins", "15m": "15 mins", "30m": "30 mins",
             "1h": "1 hour", "2h": "2 hours", "4h": "4 hours", "8h": "8 hours", "1d": "1 day"}
# The longest duration IB serves in one request for each bar size (its "step sizes" table).
MAX_SPAN_S = {"1s": 1_800, "5s": 3_600, "10s": 14_400, "15s": 14_400, "30s": 28_800, "1m": DAY_S,
              "3m": 7 * DAY_S, "5m": 7 * DAY_S, "15m": 7 * DAY_S, "30m": 30 * DAY_S, "1h": 30 * DAY_S,
              "2h": 30 * DAY_S, "4h": 30 * DAY_S, "8h": 30 * DAY_S, "1d": 365 * DAY_S}


def bar_size(timeframe: str) -> str:
    """IB's name of a bar size, or a ConfigError naming the ones IB serves."""
    try:
        return BAR_SIZES[timeframe]
    except KeyError:
        raise ConfigError(f"Interactive Brokers has no {timeframe!r} bars: use one of "
                          + ", ".join(BAR_SIZES)) from None


@dataclass(frozen=True)
class Window:
    """Bars opening in [start_ns, end_ns), asked as IB's endDateTime and durationStr."""

    start_ns: int
    end_ns: int

    @property
    def end_text(self) -> str:
        """IB's endDateTime, in UTC."""
        return datetime.fromtimestamp(self.end_ns // NS_PER_S, tz=UTC).strftime("%Y%m%d %H:%M:%S UTC")

    def duration(self, timeframe: str) -> str:
        """IB's durationStr: seconds up to a day (except for daily bars), else whole days."""
        seconds = -(-(self.end_ns - self.start_ns) // NS_PER_S)
        if seconds <= DAY_S and timeframe != "1d":
            return f"{seconds} S"
        return f"{-(-seconds // DAY_S)} D"


def history_window(end_ns: int, bars: int, timeframe: str, length_ns: int) -> Window:
    """The window of up to `bars` bars ending at `end_ns` (a bar boundary), at most one IB step."""
    span = min(bars * length_ns, MAX_SPAN_S[timeframe] * NS_PER_S // length_ns * length_ns)
    return Window(end_ns - max(span, length_ns), end_ns)


class IbBarStream:
    """One (symbol, timeframe): the windows it asks for and the bars it emits (module docstring)."""

    def __init__(self, symbol: str, timeframe: str, *, late_retries: int = 1,
                 late_ns: int = 60 * NS_PER_S) -> None:
        self.symbol = symbol
        self.timeframe = timeframe
        self.bar_size = bar_size(timeframe)
        self.candles = CandleStream(symbol, timeframe)
        self.length_ns = self.candles.length_ns
        self.max_span_ns = MAX_SPAN_S[timeframe] * NS_PER_S // self.length_ns * self.length_ns
        self.late_retries = late_retries
        self.late_ns = late_ns
        self.covered_ns = 0  # a bar opening before this that has not come never will
        self.asked_ns = 0  # the end of the last window asked
        self.late = 0  # times the newest bar of the last window was asked again at once
        self.retry = False  # ask the last window again without waiting for the next bar

    @property
    def started(self) -> bool:
        return self.candles.cursor_ns is not None

    def start_after(self, ts_open_ns: int) -> None:
        """Emit only bars opening after `ts_open_ns` (the last one a warm-up delivered)."""
        self.candles.start_after(ts_open_ns)

    def start_at(self, now_ns: int) -> None:
        """Without a warm-up: emit the bars that close after `now_ns`."""
        self.candles.start_after(self.boundary(now_ns) - self.length_ns)

    def boundary(self, now_ns: int) -> int:
        """The newest bar boundary at or before `now_ns`: every bar opening before it has closed."""
        return now_ns // self.length_ns * self.length_ns

    def next_open_ns(self) -> int:
        """The first bar the next window asks for: after the last emitted and not given up."""
        cursor = self.candles.cursor_ns
        assert cursor is not None, "stream not started"
        return max(cursor + self.length_ns, self.covered_ns)

    def due_ns(self) -> int:
        """When to ask next: once a bar has closed after the last window asked (or at once for
        a retry of its late newest bar)."""
        start = self.next_open_ns()
        return (start if self.retry else max(start, self.asked_ns)) + self.length_ns

    def window(self, now_ns: int) -> Window | None:
        """What to ask IB for at `now_ns` (a safe venue time), or None while nothing is due."""
        if self.boundary(now_ns) < self.due_ns():
            return None
        start = self.next_open_ns()
        return Window(start, min(self.boundary(now_ns), start + self.max_span_ns))

    def variant(self, window: Window) -> Window | None:
        """The same bars asked differently (one bar further back, else one bar less), for a retry
        that IB would refuse as identical to the request it replaces."""
        if window.end_ns - window.start_ns < self.max_span_ns:
            return Window(window.start_ns - self.length_ns, window.end_ns)
        if window.end_ns - window.start_ns > self.length_ns:
            return Window(window.start_ns, window.end_ns - self.length_ns)
        return None

    def select(self, candles: list[Candle], window: Window) -> list[Bar]:
        """The bars of an answer to emit, oldest first: closed by the window's end, after the cursor."""
        return self.candles.select(candles, window.end_ns)

    def emitted(self, bar: Bar, now_ns: int) -> None:
        self.candles.emitted(bar, now_ns)

    def finish(self, window: Window, now_ns: int) -> bool:
        """The window's bars are emitted. Bars it lacked are given up once `late_ns` old (until then
        later windows ask for them again). True if its newest bar should be asked again at once:
        it did not come although the bar before it did."""
        self.asked_ns = max(self.asked_ns, window.end_ns)
        self.covered_ns = max(self.covered_ns, min(window.end_ns, self.boundary(now_ns - self.late_ns)))
        newest = window.end_ns - self.length_ns
        self.retry = self.candles.cursor_ns == newest - self.length_ns and self.late < self.late_retries
        self.late = self.late + 1 if self.retry else 0
        return self.retry
