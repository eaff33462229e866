"""Which IB bars a stream asks for and emits: windows, gaps, late bars, IB's step sizes (pure)."""

from __future__ import annotations

import pytest

from tradloopd.errors import ConfigError
from tradloopd.feeds.ib_windows import IbBarStream, Window, bar_size, history_window
from tradloopd.feeds.stream import Candle

S = 1_000_000_000
T = 1_704_067_200 * S  # 2024-01-01 00:00:00 UTC, a minute boundary


def candles(*opens_s: int) -> list[Candle]:
    return [Candle((T + s * S) // 1_000_000, 1.0, 2.0, 0.5, 1.5, 10.0) for s in opens_s]


def emit(stream: IbBarStream, answer: list[Candle], window: Window, now: int) -> list[int]:
    bars = stream.select(answer, window)
    for bar in bars:
        stream.emitted(bar, now)
    return [(bar.ts_open - T) // S for bar in bars]


def test_a_window_asks_for_what_closed_since_the_last_bar_and_only_once_per_bar():
    stream = IbBarStream("AAPL", "1s")
    stream.start_at(T + S // 2)  # the bar forming at T is the first to emit
    assert stream.window(T + S // 2) is None
    window = stream.window(T + 3 * S)
    assert window == Window(T, T + 3 * S) and window.duration("1s") == "3 S"
    assert window.end_text == "20240101 00:00:03 UTC"
    assert emit(stream, candles(0, 1, 2, 3), window, T + 3 * S) == [0, 1, 2]  # the forming bar 3 waits
    assert not stream.finish(window, T + 3 * S)
    assert stream.window(T + 3 * S + S // 2) is None  # nothing new closed: no request
    assert stream.window(T + 4 * S) == Window(T + 3 * S, T + 4 * S)


def test_a_missing_newest_bar_is_asked_again_at_once_then_with_the_next_bar_until_late():
    stream = IbBarStream("AAPL", "1s", late_retries=1, late_ns=10 * S)
    stream.start_after(T - S)
    window = stream.window(T + 2 * S)
    assert emit(stream, candles(0), window, T + 2 * S) == [0]  # bar 1 is not finished at IB yet
    assert stream.finish(window, T + 2 * S)  # the market trades: ask again at once
    again = stream.window(T + 2 * S)
    assert again == Window(T + S, T + 2 * S)
    assert emit(stream, [], again, T + 2 * S) == []
    assert not stream.finish(again, T + 2 * S)  # once only; now it waits for the next bar
    assert stream.window(T + 2 * S) is None
    later = stream.window(T + 3 * S)
    assert later == Window(T + S, T + 3 * S)  # bar 1 is asked for again with bar 2
    assert emit(stream, candles(1, 2), later, T + 3 * S) == [1, 2]
    assert stream.candles.missing == 0


def test_bars_that_never_come_are_given_up_once_late_and_counted_as_a_gap():
    stream = IbBarStream("ES", "1m", late_ns=120 * S)
    stream.start_after(T - 60 * S)
    for minute in range(1, 6):  # the market is closed: one request a minute, nothing comes
        now = T + minute * 60 * S
        window = stream.window(now)
        assert window is not None and window.end_ns == now
        assert emit(stream, [], window, now) == []
        stream.finish(window, now)
        assert window.start_ns == max(T, now - 3 * 60 * S)  # given up after two minutes
    window = stream.window(T + 6 * 60 * S)
    assert emit(stream, candles(300), window, T + 6 * 60 * S) == [300]
    assert stream.candles.missing == 5


def test_a_long_gap_is_paged_through_in_ib_sized_windows():
    stream = IbBarStream("AAPL", "5s")
    stream.start_after(T - 5 * S)
    now = T + 3 * 3600 * S
    starts = []
    while (window := stream.window(now)) is not None:
        assert window.end_ns - window.start_ns <= 3600 * S and window.duration("5s") in {"3600 S"}
        starts.append(window.start_ns)
        emit(stream, [], window, now)
        stream.finish(window, now)
    assert starts == [T, T + 3600 * S, T + 7200 * S]


@pytest.mark.parametrize(("timeframe", "bars", "duration"), [
    ("1m", 200, "12000 S"), ("1m", 5000, "86400 S"), ("5m", 5000, "7 D"), ("1d", 200, "200 D"),
    ("1h", 24, "86400 S"), ("1s", 5000, "1800 S"), ("5s", 20, "100 S")])
def test_history_windows_stay_within_ibs_step_sizes(timeframe, bars, duration):
    from tradloopd.feeds.timeframes import timeframe_ms

    window = history_window(T, bars, timeframe, timeframe_ms(timeframe) * 1_000_000)
    assert window.end_ns == T and window.duration(timeframe) == duration


def test_a_retry_ib_would_call_identical_is_asked_differently():
    stream = IbBarStream("AAPL", "1s")
    assert stream.variant(Window(T, T + S)) == Window(T - S, T + S)  # one bar further back
    full = Window(T, T + 1800 * S)
    assert stream.variant(full) == Window(T, T + 1799 * S)  # at IB's limit: one bar less


def test_ib_bar_sizes():
    assert [bar_size(t) for t in ("1s", "5s", "1m", "5m", "1h", "1d")] == [
        "1 secs", "5 secs", "1 min", "5 mins", "1 hour", "1 day"]
    with pytest.raises(ConfigError, match="Interactive Brokers has no '1w' bars"):
        bar_size("1w")
