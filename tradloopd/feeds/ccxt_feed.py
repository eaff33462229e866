"""The live CCXT feed: closed candles for several symbols and timeframes, by REST polling.

Outputs: `Bar`s on the send channel given to `run` (blocking send: bars are never dropped; the
receiver decides how to conflate). Each (symbol, timeframe) is polled when its next candle should
have closed, on the exchange's clock (offset measured at connect), and only candles closed at the
moment the request left are emitted, each exactly once and in order. After missed polls or an
outage the stream pages through `fetch_ohlcv` from its last candle, so nothing is skipped.

Failures: an unreachable venue, a 5xx, a timeout, a malformed reply or a rate limit are counted and
retried for ever with capped exponential backoff and jitter (a 429 waits what Retry-After says);
the feed never dies of them. Auth and config errors (unknown exchange, symbol or timeframe) raise.
ccxt and asyncio live in `ccxt_venue`; this module is trio only, and opens its own trio-asyncio loop.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, TypeVar

import msgspec
import structlog
import trio
import trio_asyncio

from tradloopd.clock import Clock
from tradloopd.errors import RateLimited, VenueAuthError, VenueError, VenueUnavailable
from tradloopd.feeds.backoff import Backoff
from tradloopd.feeds.ccxt_venue import AdvisedRateLimit, CcxtVenue, MalformedResponse, open_ccxt_venue
from tradloopd.feeds.stream import Candle, CandleStream
from tradloopd.feeds.timeframes import timeframe_ms
from tradloopd.messages import Bar

T = TypeVar("T")
NS_PER_S = 1_000_000_000
CLOCK_MARGIN_NS = 1_000_000  # the venue's clock reads in whole milliseconds
Positive = Annotated[float, msgspec.Meta(gt=0)]


class CcxtFeedConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                     rename="kebab"):
    """The `[feed]` section for live candles from a ccxt exchange.

    - `exchange`: a ccxt id; `symbols`: ccxt unified symbols; `timeframes`: e.g. "1s", "1m", "1h".
    - `poll-s`: each stream is asked for its next candle as soon as that candle has closed; when it
      is not there yet, the feed asks again `poll-s` later. Also the longest the feed sleeps.
    - `warmup-bars`: how many bars `history()` returns by default.
    - `base-url`: "" for the real exchange, else send ccxt's requests there (the demo venue).
    - `backoff-initial-s`, `backoff-max-s`: retry waits after failures (doubling, with jitter).
    - `request-timeout-s`: ccxt's timeout for one HTTP request.
    - `rate-limit`: ccxt's own client-side throttle; only the demo venue can do without it.
    """

    exchange: str = "binance"
    symbols: list[str]
    timeframes: list[str] = msgspec.field(default_factory=lambda: ["1m"])
    poll_s: Positive = 2.0
    warmup_bars: Annotated[int, msgspec.Meta(ge=0)] = 200
    base_url: str = ""
    backoff_initial_s: Positive = 0.5
    backoff_max_s: Positive = 30.0
    request_timeout_s: Positive = 10.0
    rate_limit: bool = True

    def __post_init__(self) -> None:
        if not self.symbols:
            raise ValueError("symbols: list at least one market, like ['BTC/USDT']")
        for timeframe in self.timeframes:
            timeframe_ms(timeframe)  # ConfigError names the supported ones
        if self.backoff_max_s < self.backoff_initial_s:
            raise ValueError("backoff-max-s must be at least backoff-initial-s")


class StreamStatistics(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    timeframe: str
    bars_emitted: int
    backfilled_bars: int
    missing_bars: int
    last_ts_open: int | None


class FeedStatistics(msgspec.Struct, frozen=True, kw_only=True):
    """A snapshot of the feed's counters.

    `polls` counts OHLCV requests (failed ones too), `errors` failures by kind (`unavailable`,
    `rate_limited`, `malformed`, `refused`), `reconnects` recoveries after the venue was unreachable,
    `backfilled_bars` bars emitted after a newer candle had already closed (catching up).
    """

    connected: bool
    polls: int
    requests: int
    reconnects: int
    errors: dict[str, int]
    retry_wait_s: float
    bars_emitted: int
    backfilled_bars: int
    streams: list[StreamStatistics]

    def stream(self, symbol: str, timeframe: str) -> StreamStatistics:
        for stream in self.streams:
            if (stream.symbol, stream.timeframe) == (symbol, timeframe):
                return stream
        raise KeyError(f"no stream {symbol} {timeframe}")


class CcxtFeed:
    """Closed candles from one ccxt exchange; `run` streams them, `history` warms strategies up."""

    def __init__(self, config: CcxtFeedConfig, *, clock: Clock, rng: random.Random | None = None) -> None:
        self.config = config
        self._clock = clock
        self._streams = {(symbol, timeframe): CandleStream(symbol, timeframe)
                         for symbol in config.symbols for timeframe in config.timeframes}
        self._backoff = Backoff(initial_s=config.backoff_initial_s, max_s=config.backoff_max_s, rng=rng)
        self._offset_ns = 0
        self._margin_ns = CLOCK_MARGIN_NS
        self._connected = False
        self._ever_connected = False
        self._down_since_ns = 0
        self._polls = self._requests = self._reconnects = 0
        self._errors: dict[str, int] = {}
        self._retry_wait_s = 0.0
        self._log = structlog.get_logger("tradloopd.feeds").bind(actor="feed", exchange=config.exchange)

    # Public -------------------------------------------------------------------------------------

    async def run(self, send: trio.MemorySendChannel[Bar], *,
                  task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Emit closed candles on `send` until cancelled; `started()` once the markets are loaded."""
        async with send, _asyncio_loop(), self._open_venue() as venue:
            await self._connect(venue)
            for stream in self._streams.values():
                if stream.cursor_ns is None:
                    now, candles = await self._fetch(venue, stream, since_ms=None, limit=2)
                    stream.start_from(candles, now)
            task_status.started()
            self._log.info("feed_started", streams=len(self._streams), poll_s=self.config.poll_s)
            try:
                await self._poll_forever(venue, send)
            finally:
                self._connected = False
                self._log.info("feed_stopped", polls=self._polls)

    async def history(self, symbol: str, timeframe: str, bars: int | None = None) -> list[Bar]:
        """The last `bars` (default `warmup-bars`) closed candles, oldest first.

        For a stream of this feed, `run` then continues right after the newest one returned, so a
        strategy warmed up with it sees every candle exactly once. Call it before `run`.
        """
        count = self.config.warmup_bars if bars is None else bars
        if count <= 0:
            return []
        async with _asyncio_loop(), self._open_venue() as venue:
            await self._connect(venue, symbols=[(symbol, timeframe)])
            stream = CandleStream(symbol, timeframe)
            stream.start_before(self._safe_now_ns(), count)
            collected: list[Bar] = []
            while True:
                now, candles = await self._fetch(venue, stream, since_ms=stream.since_ms(), limit=None)
                page = stream.accept(candles, now)
                collected.extend(page)
                if not page or stream.next_poll_ns() > now:
                    break
        result = collected[-count:]
        if result and (symbol, timeframe) in self._streams:
            self._streams[symbol, timeframe].start_after(result[-1].ts_open)
        return result

    def statistics(self) -> FeedStatistics:
        streams = [StreamStatistics(symbol=s.symbol, timeframe=s.timeframe, bars_emitted=s.bars_emitted,
                                    backfilled_bars=s.backfilled, missing_bars=s.missing,
                                    last_ts_open=s.last_ts_open) for s in self._streams.values()]
        return FeedStatistics(
            connected=self._connected, polls=self._polls, requests=self._requests,
            reconnects=self._reconnects, errors=dict(self._errors), retry_wait_s=self._retry_wait_s,
            bars_emitted=sum(s.bars_emitted for s in streams),
            backfilled_bars=sum(s.backfilled_bars for s in streams), streams=streams)

    # Connecting ---------------------------------------------------------------------------------

    def _open_venue(self) -> AbstractAsyncContextManager[CcxtVenue]:
        config = self.config
        return open_ccxt_venue(config.exchange, base_url=config.base_url,
                               timeout_s=config.request_timeout_s, rate_limit=config.rate_limit)

    async def _connect(self, venue: CcxtVenue, symbols: list[tuple[str, str]] | None = None) -> None:
        """Load markets (retrying until the venue answers), check the streams, measure the clock offset."""
        await self._retrying(venue.load_markets)
        for symbol, timeframe in symbols if symbols is not None else self._streams:
            venue.check(symbol, timeframe)
        if venue.has_time:

            async def measure() -> tuple[int, int, int]:
                sent = self._clock.now_ns()
                server_ms = await venue.server_time_ms()
                return sent, server_ms, self._clock.now_ns()

            sent, server_ms, received = await self._retrying(measure)
            self._offset_ns = server_ms * 1_000_000 - (sent + received) // 2
            self._margin_ns = (received - sent) // 2 + CLOCK_MARGIN_NS

    def _safe_now_ns(self) -> int:
        """A time the exchange's clock has certainly reached: local clock, offset, minus the error."""
        return self._clock.now_ns() + self._offset_ns - self._margin_ns

    # Polling ------------------------------------------------------------------------------------

    async def _poll_forever(self, venue: CcxtVenue, send: trio.MemorySendChannel[Bar]) -> None:
        """Poll each stream when its next candle is due; one that came up empty waits `poll_s`."""
        retry_at = dict.fromkeys(self._streams, 0.0)  # trio time, so a frozen venue clock cannot stall it
        while True:
            for key, stream in self._streams.items():
                while stream.next_poll_ns() <= self._safe_now_ns() and trio.current_time() >= retry_at[key]:
                    if not await self._poll(venue, stream, send):
                        retry_at[key] = trio.current_time() + self.config.poll_s
            await trio.sleep(self._idle_s(retry_at))

    async def _poll(self, venue: CcxtVenue, stream: CandleStream, send: trio.MemorySendChannel[Bar]) -> bool:
        """Fetch what closed since the stream's cursor and emit it; False if nothing new came."""
        now, candles = await self._fetch(venue, stream, since_ms=stream.since_ms(), limit=None)
        backfilled = stream.backfilled
        bars = stream.select(candles, now)
        for bar in bars:
            await send.send(bar)
            stream.emitted(bar, now)
        if stream.backfilled > backfilled:
            self._log.info("feed_backfilled", symbol=stream.symbol, timeframe=stream.timeframe,
                           bars=stream.backfilled - backfilled)
        return bool(bars)

    def _idle_s(self, retry_at: dict[tuple[str, str], float]) -> float:
        """Seconds until some stream is due, at most `poll_s` (the venue clock may jump)."""
        now, trio_now = self._safe_now_ns(), trio.current_time()
        due_s = min(max((stream.next_poll_ns() - now) / NS_PER_S, retry_at[key] - trio_now)
                    for key, stream in self._streams.items())
        return min(self.config.poll_s, max(due_s, 0.0))

    async def _fetch(self, venue: CcxtVenue, stream: CandleStream, *, since_ms: int | None,
                     limit: int | None) -> tuple[int, list[Candle]]:
        """One OHLCV request (retried until it succeeds) and the safe exchange time it was sent at."""

        async def attempt() -> tuple[int, list[Candle]]:
            now = self._safe_now_ns()
            self._polls += 1
            return now, await venue.fetch_candles(stream.symbol, stream.timeframe, since_ms=since_ms,
                                                  limit=stream.limit(now) if limit is None else limit)

        return await self._retrying(attempt, stream)

    async def _retrying(self, call: Callable[[], Awaitable[T]], stream: CandleStream | None = None) -> T:
        """`call()` until it succeeds; venue failures are counted, logged and waited out."""
        while True:
            self._requests += 1
            try:
                result = await call()
            except VenueAuthError:
                raise
            except VenueError as exc:
                kind, delay_s = self._failed(exc)
                self._log.warning("feed_request_failed", kind=kind, error=str(exc),
                                  retry_in_s=round(delay_s, 3), symbol=stream.symbol if stream else None,
                                  timeframe=stream.timeframe if stream else None)
                self._retry_wait_s += delay_s
                await trio.sleep(delay_s)
            else:
                self._succeeded()
                return result

    def _failed(self, exc: VenueError) -> tuple[str, float]:
        """Count a failure and decide how long to wait before the next try."""
        if isinstance(exc, RateLimited):
            kind = "rate_limited"
            advised = exc.retry_after_s if isinstance(exc, AdvisedRateLimit) else None
            delay_s = advised if advised is not None else self._backoff.next_delay_s()
        elif isinstance(exc, MalformedResponse):
            kind, delay_s = "malformed", self._backoff.next_delay_s()
        elif isinstance(exc, VenueUnavailable):
            kind, delay_s = "unavailable", self._backoff.next_delay_s()
            if self._connected:
                self._connected = False
                self._down_since_ns = self._clock.now_ns()
                self._log.warning("feed_disconnected", error=str(exc))
        else:
            kind, delay_s = "refused", self._backoff.next_delay_s()
        self._errors[kind] = self._errors.get(kind, 0) + 1
        return kind, delay_s

    def _succeeded(self) -> None:
        if not self._connected and self._ever_connected:
            self._reconnects += 1
            down_s = (self._clock.now_ns() - self._down_since_ns) / NS_PER_S
            self._log.info("feed_reconnected", down_s=round(down_s, 3), failures=self._backoff.failures)
        self._connected = self._ever_connected = True
        self._backoff.reset()


@asynccontextmanager
async def _asyncio_loop() -> AsyncIterator[None]:
    """A trio-asyncio loop whose internal nurseries do not wrap our one error in exception groups."""
    try:
        async with trio_asyncio.open_loop():
            yield
    except BaseExceptionGroup as group:
        leaf = _only_leaf(group)
        if leaf is None:
            raise
        raise leaf from None


def _only_leaf(error: BaseException) -> BaseException | None:
    while isinstance(error, BaseExceptionGroup):
        if len(error.exceptions) != 1:
            return None
        error = error.exceptions[0]
    return error
