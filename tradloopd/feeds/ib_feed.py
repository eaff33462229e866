"""The live Interactive Brokers feed: closed bars for several symbols and bar sizes, by polling TWS.

Outputs: `Bar`s on the send channel given to `run` (blocking send: bars are never dropped). Each
(symbol, timeframe) asks `reqHistoricalData` for the bars closed since its last one, once its next
bar has closed on TWS's clock (offset measured at connect) and `settle-s` has passed, and emits
them once each, in order (`ib_windows`). After an outage (a TWS restart, the nightly reset) the
same requests page through the gap, so nothing is skipped.

Pacing: IB allows 60 historical requests in ten minutes (and fewer than six a series in two
seconds, no identical request within fifteen). Every request waits for `ib_pacing`'s budget, so
IB never sees a violation; streams that need more than the budget get their bars later, several
per request, never fewer. One stream costs one request per bar: at most six 1-minute streams,
thirty 5-minute ones; a "5s" stream polls every ten seconds (two bars a request).

Failures: TWS unreachable, a dropped connection, a timeout, a refused or paced request are counted
and retried for ever with capped exponential backoff and jitter; the feed never dies of them.
A symbol IB has no contract for raises ConfigError. ib_async lives in `ib_source`, imported only
when the feed connects; this module is trio only and opens its own trio-asyncio loop.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

import msgspec
import structlog
import trio

from tradloopd.brokers.aio import open_aio_loop
from tradloopd.brokers.ib.contracts import ContractSpec, contract_for
from tradloopd.clock import Clock
from tradloopd.errors import ConfigError, RateLimited, VenueError, VenueUnavailable
from tradloopd.feeds.backoff import Backoff
from tradloopd.feeds.ccxt_feed import FeedStatistics, StreamStatistics
from tradloopd.feeds.ib_pacing import MAX_REQUESTS, WINDOW_S, HistoricalPacing, HistoricalRequest
from tradloopd.feeds.ib_windows import IbBarStream, Window, bar_size, history_window
from tradloopd.feeds.stream import Candle
from tradloopd.messages import Bar

if TYPE_CHECKING:
    from tradloopd.feeds.ib_source import IbSource, Qualified

NS_PER_S = 1_000_000_000
HISTORY_PAGES = 4  # a warm-up looks back at most this many IB steps (a weekend for 1-minute bars)
PACING_PENALTY_S = 15.0  # after IB says "pacing violation" anyway (another program on the login)
Positive = Annotated[float, msgspec.Meta(gt=0)]
WHAT_TO_SHOW = frozenset({"TRADES", "MIDPOINT", "BID", "ASK"})
# Which prices make a bar, by IB security type: trades where there are trades, else quotes.
DEFAULT_WHAT_TO_SHOW = {"STK": "TRADES", "FUT": "TRADES", "IND": "TRADES", "CASH": "MIDPOINT",
                        "CFD": "MIDPOINT", "OPT": "MIDPOINT", "CMDTY": "MIDPOINT"}


class IbFeedConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                   rename="kebab"):
    """The `[ib-feed]` section: closed bars from TWS / IB Gateway (every key in config/live-ib.toml).

    - `host`, `port`: as for the IB venue; `client-id`: this feed's own API client id (not the
      broker's: each connection to one TWS needs its own).
    - `symbols`: the IB venue's symbol syntax (`AAPL`, `EUR/USD`, `ESZ6`, `SPX`); `contracts`:
      explicit contracts for the others (the IB venue's `contracts` apply too).
    - `timeframes`: bar sizes, "1s" to "1d" (`ib_windows.BAR_SIZES`).
    - `what-to-show`: security type (`STK`, `CASH`, ...) or symbol -> TRADES, MIDPOINT, BID or ASK;
      default TRADES for stocks, futures and indices, MIDPOINT for forex, CFDs and options.
    - `use-rth`: only bars inside regular trading hours.
    - `settle-s`: how long after a bar closes the feed asks for it (IB finishes bars a moment late).
    - `poll-s`: the longest the feed sleeps, and the wait before asking again at once for a bar
      IB had not finished (`late-retries` times; after that the next bar's request asks again).
    - `late-s`: a bar IB has not served this long after it closed is given up (a gap, counted).
    - `max-requests-per-10-min`: the pacing budget (IB allows 60).
    - timeouts and the reconnect back-off (doubling from initial to max, with jitter, for ever).
    """

    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 7497
    client_id: Annotated[int, msgspec.Meta(ge=0)] = 2
    symbols: list[str]
    timeframes: list[str] = msgspec.field(default_factory=lambda: ["1m"])
    what_to_show: dict[str, str] = {}
    use_rth: bool = False
    contracts: dict[str, ContractSpec] = {}
    warmup_bars: Annotated[int, msgspec.Meta(ge=0)] = 200
    settle_s: Annotated[float, msgspec.Meta(ge=0)] = 2.0
    poll_s: Positive = 1.0
    late_retries: Annotated[int, msgspec.Meta(ge=0, le=10)] = 1
    late_s: Annotated[float, msgspec.Meta(ge=0)] = 60.0
    max_requests_per_10_min: Annotated[int, msgspec.Meta(ge=1, le=MAX_REQUESTS)] = MAX_REQUESTS
    connect_timeout_s: Positive = 10.0
    request_timeout_s: Positive = 60.0
    backoff_initial_s: Positive = 0.5
    backoff_max_s: Positive = 30.0

    def __post_init__(self) -> None:
        if not self.symbols:
            raise ValueError("symbols: list at least one, like ['AAPL', 'EUR/USD']")
        try:
            for timeframe in self.timeframes:
                bar_size(timeframe)
            for symbol in self.symbols:
                contract_for(symbol, self.contracts)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        for key, value in self.what_to_show.items():
            if value not in WHAT_TO_SHOW:
                known = ", ".join(sorted(WHAT_TO_SHOW))
                raise ValueError(f"what-to-show.{key}: {value!r} is not one of {known}")
        if self.backoff_max_s < self.backoff_initial_s:
            raise ValueError("backoff-max-s must be at least backoff-initial-s")

    def what_to_show_for(self, symbol: str, sec_type: str) -> str:
        """The symbol's own setting, else its security type's, else the default for the type."""
        return (self.what_to_show.get(symbol) or self.what_to_show.get(sec_type)
                or DEFAULT_WHAT_TO_SHOW.get(sec_type, "TRADES"))


class IbFeedStatistics(FeedStatistics, frozen=True, kw_only=True):
    """The feed's counters (`polls`: historical requests sent) and its pacing budget: seconds
    requests waited for it and requests sent in the last ten minutes."""

    pacing_wait_s: float
    requests_last_10_min: int


class IbFeed:
    """Closed bars from Interactive Brokers; `run` streams them, `history` warms strategies up."""

    def __init__(self, config: IbFeedConfig, *, clock: Clock, contracts: Mapping[str, ContractSpec] = {},
                 rng: random.Random | None = None) -> None:
        self.config = config
        self._clock = clock
        self._overrides = {**contracts, **config.contracts}
        self._streams = {(symbol, timeframe): IbBarStream(symbol, timeframe, late_retries=config.late_retries,
                                                          late_ns=int(config.late_s * NS_PER_S))
                         for symbol in config.symbols for timeframe in config.timeframes}
        self._pacing = HistoricalPacing(config.max_requests_per_10_min)
        self._backoff = Backoff(initial_s=config.backoff_initial_s, max_s=config.backoff_max_s, rng=rng)
        self._known: dict[str, Qualified] = {}
        self._history: dict[tuple[str, str, int], tuple[int, list[Bar]]] = {}
        self._offset_ns = self._margin_ns = 0
        self._connected = self._ever_connected = False
        self._down_since_ns = 0
        self._polls = self._requests = self._reconnects = 0
        self._errors: dict[str, int] = {}
        self._retry_wait_s = 0.0
        self._log = structlog.get_logger("tradloopd.feeds").bind(actor="feed", venue="ib")

    # Public -------------------------------------------------------------------------------------

    async def run(self, send: trio.MemorySendChannel[Bar], *,
                  task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Emit closed bars on `send` until cancelled; `started()` once connected and contracts known."""
        from tradloopd.feeds.ib_source import open_ib_source

        async with send, open_aio_loop(), open_ib_source(self.config, self._overrides, self._known) as source:
            await self._connect(source, self.config.symbols)
            now = self._safe_now_ns()
            for stream in self._streams.values():
                if not stream.started:
                    stream.start_at(now)
            task_status.started()
            self._log.info("feed_started", streams=len(self._streams), demand_per_10_min=self._demand(),
                           budget_per_10_min=self.config.max_requests_per_10_min)
            if self._demand() > self.config.max_requests_per_10_min:
                self._log.warning("feed_over_pacing_budget", demand_per_10_min=self._demand(),
                                  budget_per_10_min=self.config.max_requests_per_10_min)
            try:
                await self._poll_forever(source, send)
            finally:
                self._connected = False
                self._log.info("feed_stopped", polls=self._polls)

    async def history(self, symbol: str, timeframe: str, bars: int | None = None) -> list[Bar]:
        """The last `bars` (default `warmup-bars`) closed bars, oldest first (fewer if IB has fewer
        within `HISTORY_PAGES` steps back). `run` then continues right after the newest one."""
        count = self.config.warmup_bars if bars is None else bars
        if count <= 0:
            return []
        from tradloopd.feeds.ib_source import open_ib_source

        length_ns = IbBarStream(symbol, timeframe).length_ns
        async with open_aio_loop(), open_ib_source(self.config, self._overrides, self._known) as source:
            await self._connect(source, [symbol], live=False)
            end = self._safe_now_ns() // length_ns * length_ns
            cached = self._history.get((symbol, timeframe, end))
            if cached is not None and cached[0] >= count:
                result = cached[1][-count:]
            else:
                result = await self._history_pages(source, symbol, timeframe, end, count)
                self._history[symbol, timeframe, end] = (count, result)
        if result and (symbol, timeframe) in self._streams:
            self._streams[symbol, timeframe].start_after(result[-1].ts_open)
        return result[-count:]

    def statistics(self) -> IbFeedStatistics:
        streams = [_stream_statistics(stream) for stream in self._streams.values()]
        return IbFeedStatistics(
            connected=self._connected, polls=self._polls, requests=self._requests,
            reconnects=self._reconnects, errors=dict(self._errors), retry_wait_s=self._retry_wait_s,
            bars_emitted=sum(s.bars_emitted for s in streams),
            backfilled_bars=sum(s.backfilled_bars for s in streams), streams=streams,
            pacing_wait_s=self._pacing.waited_s,
            requests_last_10_min=self._pacing.in_window(trio.current_time()))

    # Connecting ---------------------------------------------------------------------------------

    async def _connect(self, source: IbSource, symbols: list[str], *, live: bool = True) -> None:
        """Connect (retrying until TWS answers), look the contracts up, measure TWS's clock.
        `live`: the connection `run` streams on (a warm-up's does not count as connected)."""
        while True:
            self._requests += 1
            try:
                await source.connect()
                await source.qualify(symbols)
                sent = self._clock.now_ns()
                server_s = await source.server_time_s()
                received = self._clock.now_ns()
            except VenueError as exc:
                await self._wait_after(exc)
                continue
            # TWS says whole seconds: its clock is somewhere in [server_s, server_s + 1) at the midpoint.
            self._offset_ns = server_s * NS_PER_S + NS_PER_S // 2 - (sent + received) // 2
            self._margin_ns = (received - sent) // 2 + NS_PER_S // 2
            if live:
                self._succeeded()
            return

    def _safe_now_ns(self) -> int:
        """A TWS time certainly reached, `settle-s` ago: bars that closed by then are final."""
        settle_ns = int(self.config.settle_s * NS_PER_S)
        return self._clock.now_ns() + self._offset_ns - self._margin_ns - settle_ns

    # Polling ------------------------------------------------------------------------------------

    async def _poll_forever(self, source: IbSource, send: trio.MemorySendChannel[Bar]) -> None:
        """Ask for each stream's bars when they are due and the pacing budget allows, soonest first."""
        late_at = dict.fromkeys(self._streams, 0.0)  # trio time: when a late bar may be asked again
        while True:
            chosen, idle_s, paced = self._choose(late_at)
            if chosen is None:
                self._pacing.waited_s += idle_s if paced else 0.0
                await trio.sleep(idle_s)
                continue
            key, window, request = chosen
            try:
                late = await self._poll(source, self._streams[key], window, request, send)
            except VenueUnavailable as exc:
                await self._wait_after(exc)
                await self._connect(source, self.config.symbols)
                continue
            except VenueError as exc:  # IB refused this stream's request: the others go on
                self._refused(key, exc)
                late_at[key] = trio.current_time() + self.config.backoff_max_s
                continue
            self._succeeded()
            late_at[key] = trio.current_time() + self.config.poll_s if late else 0.0

    def _choose(self, late_at: dict[tuple[str, str], float]
                ) -> tuple[tuple[tuple[str, str], Window, HistoricalRequest] | None, float, bool]:
        """The stream to ask now (due, the budget allows it, the longest due), or how long to wait:
        until a stream is due or the budget allows one, at most `poll_s` (clocks may jump), and
        whether a due stream waits for the budget."""
        now, trio_now = self._safe_now_ns(), trio.current_time()
        best: tuple[int, tuple[str, str], Window, HistoricalRequest] | None = None
        idle_s, pacing_s = self.config.poll_s, float("inf")
        for key, stream in self._streams.items():
            window = stream.window(now) if trio_now >= late_at[key] else None
            if window is None:
                idle_s = min(idle_s, max((stream.due_ns() - now) / NS_PER_S, late_at[key] - trio_now))
                continue
            delay_s, window, request = self._paced(stream, window, trio_now)
            if delay_s > 0:
                pacing_s = min(pacing_s, delay_s)
            elif best is None or stream.due_ns() < best[0]:
                best = (stream.due_ns(), key, window, request)
        if best is not None:
            return best[1:], 0.0, False
        return None, max(min(idle_s, pacing_s), 0.0), pacing_s < float("inf")

    def _paced(self, stream: IbBarStream, window: Window, trio_now: float
               ) -> tuple[float, Window, HistoricalRequest]:
        """The pacing delay of asking for `window`, or of a variant of it if that waits less (a
        retry of a request lost with the connection would otherwise wait 15 s as identical)."""
        request = self._request(stream, window)
        delay_s = self._pacing.delay_s(request, trio_now)
        variant = stream.variant(window) if delay_s > 0 else None
        if variant is not None:
            other = self._request(stream, variant)
            other_delay_s = self._pacing.delay_s(other, trio_now)
            if other_delay_s < delay_s:
                return other_delay_s, variant, other
        return delay_s, window, request

    def _request(self, stream: IbBarStream, window: Window) -> HistoricalRequest:
        known = self._known[stream.symbol]
        return HistoricalRequest(
            con_id=known.con_id, exchange=known.exchange,
            what_to_show=self.config.what_to_show_for(stream.symbol, known.sec_type),
            end=window.end_text, duration=window.duration(stream.timeframe), bar_size=stream.bar_size,
            use_rth=self.config.use_rth)

    async def _poll(self, source: IbSource, stream: IbBarStream, window: Window, request: HistoricalRequest,
                    send: trio.MemorySendChannel[Bar]) -> bool:
        """Fetch one window and emit its new closed bars; True if its newest bar is late."""
        candles = await self._fetch(source, stream.symbol, request)
        now = self._clock.now_ns() + self._offset_ns
        backfilled = stream.candles.backfilled
        for bar in stream.select(candles, window):
            await send.send(bar)
            stream.emitted(bar, now)
        if stream.candles.backfilled > backfilled:
            self._log.info("feed_backfilled", symbol=stream.symbol, timeframe=stream.timeframe,
                           bars=stream.candles.backfilled - backfilled)
        return stream.finish(window, self._safe_now_ns())

    async def _fetch(self, source: IbSource, symbol: str, request: HistoricalRequest) -> list[Candle]:
        """One historical request, after waiting for the pacing budget; counted once sent."""
        delay_s = self._pacing.delay_s(request, trio.current_time())
        if delay_s > 0:
            self._pacing.waited_s += delay_s
            await trio.sleep(delay_s)  # pacing IB requires, not synchronisation
        if not source.connected:  # not sent, so IB does not count it
            raise VenueUnavailable("IB feed: not connected to IB")
        self._pacing.record(request, trio.current_time())
        self._polls += 1
        self._requests += 1
        return await source.bars(symbol, request)

    async def _history_pages(self, source: IbSource, symbol: str, timeframe: str, end: int,
                             count: int) -> list[Bar]:
        """Up to `count` bars ending at `end`, one IB step at a time backwards, at most HISTORY_PAGES."""
        stream = IbBarStream(symbol, timeframe)
        collected: list[Bar] = []
        for _ in range(HISTORY_PAGES):
            window = history_window(end, count - len(collected), timeframe, stream.length_ns)
            while True:
                try:
                    candles = await self._fetch(source, symbol, self._request(stream, window))
                    break
                except VenueUnavailable as exc:  # a refusal raises: the daemon says why at start
                    await self._wait_after(exc)
                    await self._connect(source, [symbol], live=False)
            page = IbBarStream(symbol, timeframe)
            page.start_after(window.start_ns - page.length_ns)
            collected = page.select(candles, window) + collected
            if len(collected) >= count:
                break
            end = window.start_ns
        return collected

    def _demand(self) -> float:
        """Requests per ten minutes the streams need to get every bar as it closes."""
        return sum(WINDOW_S / min(stream.length_ns / NS_PER_S, WINDOW_S) for stream in self._streams.values())

    # Failures -----------------------------------------------------------------------------------

    def _refused(self, key: tuple[str, str], exc: VenueError) -> None:
        self._errors["refused"] = self._errors.get("refused", 0) + 1
        self._log.warning("feed_request_refused", symbol=key[0], timeframe=key[1], error=str(exc),
                          retry_in_s=self.config.backoff_max_s)

    async def _wait_after(self, exc: VenueError) -> None:
        """Count and log a failure, then wait: back-off (a pacing refusal: at least 15 s)."""
        if isinstance(exc, RateLimited):
            kind = "pacing"
        else:
            kind = "unavailable"
            if self._connected:
                self._connected = False
                self._down_since_ns = self._clock.now_ns()
                self._log.warning("feed_disconnected", error=str(exc))
        delay_s = self._backoff.next_delay_s()
        if kind == "pacing":
            delay_s = max(delay_s, PACING_PENALTY_S)
        self._errors[kind] = self._errors.get(kind, 0) + 1
        self._retry_wait_s += delay_s
        self._log.warning("feed_request_failed", kind=kind, error=str(exc), retry_in_s=round(delay_s, 3))
        await trio.sleep(delay_s)  # back-off before trying again, not synchronisation

    def _succeeded(self) -> None:
        if not self._connected and self._ever_connected:
            self._reconnects += 1
            down_s = (self._clock.now_ns() - self._down_since_ns) / NS_PER_S
            self._log.info("feed_reconnected", down_s=round(down_s, 3), failures=self._backoff.failures)
        self._connected = self._ever_connected = True
        self._backoff.reset()


def _stream_statistics(stream: IbBarStream) -> StreamStatistics:
    candles = stream.candles
    return StreamStatistics(symbol=stream.symbol, timeframe=stream.timeframe,
                            bars_emitted=candles.bars_emitted, backfilled_bars=candles.backfilled,
                            missing_bars=candles.missing, last_ts_open=candles.last_ts_open)
