"""`tradloopd data fetch`: download OHLCV candles from an exchange (ccxt) into the engine's CSV format.

The file is `OUT/EXCHANGE_SYMBOL_TIMEFRAME.csv` (`data/binance_BTCUSDT_1h.csv`) with the columns
`timestamp,open,high,low,close,volume`, the candle's open time in ISO 8601 UTC. Pages of up to
`PAGE` candles are asked for from the last one written, through ccxt with its rate limiter on;
a failed page (exchange unavailable, rate limited, a bad reply) is retried with back-off. Only
closed candles are written, each page appended and flushed, so an interrupted download (Ctrl-C, a
crash, a dropped connection) resumes from the file: the next run continues after its last row
(a row cut short by the interruption is dropped first). At the end the whole file is validated as
`tradloopd data check` does (gaps, duplicates, bad rows) and the report printed.

Top-level imports stay light: ccxt, trio and rich load only when a download runs.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tradloopd.errors import ConfigError, DataError

if TYPE_CHECKING:
    from tradloopd.feeds.ccxt_venue import CcxtVenue
    from tradloopd.feeds.stream import Candle

PAGE = 1000
HEADER = "timestamp,open,high,low,close,volume\n"
ATTEMPTS = 6
NS_PER_MS = 1_000_000


@dataclass(frozen=True)
class FetchRequest:
    exchange: str
    symbol: str
    timeframe: str
    since_ms: int
    until_ms: int | None = None  # exclusive; None: up to the last closed candle
    out_dir: Path = Path("data")
    base_url: str = ""
    timeout_s: float = 10.0
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0

    @property
    def path(self) -> Path:
        name = re.sub(r"[^A-Za-z0-9]", "", self.symbol.split(":")[0])
        return self.out_dir / f"{self.exchange}_{name}_{self.timeframe}.csv"


@dataclass(frozen=True)
class FetchResult:
    path: Path
    written: int  # candles written by this run
    resumed_after_ms: int | None  # the last candle already in the file, when resuming
    pages: int


Progress = Callable[[int, int], None]  # (candles written so far, candles expected in all)


def add_data_fetch_parser(data_subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `fetch` to the `tradloopd data` subcommands."""
    p = data_subparsers.add_parser(
        "fetch", help="download OHLCV candles from an exchange (ccxt) into a CSV file",
        description="Download closed OHLCV candles through ccxt, page by page within the exchange's rate "
                    "limits, into OUT/EXCHANGE_SYMBOL_TIMEFRAME.csv; an interrupted download resumes "
                    "from the file. The result is validated like `tradloopd data check`.")
    p.add_argument("--exchange", default="binance", help="a ccxt exchange id (default binance)")
    p.add_argument("--symbol", required=True, help="a ccxt unified symbol, like BTC/USDT")
    p.add_argument("--timeframe", default="1h", help="candle length, like 1m, 1h, 1d (default 1h)")
    p.add_argument("--since", required=True, help="first candle, UTC: 2024-01-01 or 2024-01-01T12:00:00Z")
    p.add_argument("--until", help="stop before this UTC time (default: the last closed candle)")
    p.add_argument("--out", default="data", help="directory to write to (default data)")
    p.add_argument("--base-url", default="", help="send the requests here instead (the demo venue)")
    p.set_defaults(run=fetch_command)


def fetch_command(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Run a download from parsed arguments; print the result and the validation report."""
    from tradloopd.data.check import check_command

    stream = out if out is not None else sys.stdout
    request = FetchRequest(exchange=args.exchange, symbol=args.symbol, timeframe=args.timeframe,
                           since_ms=parse_utc_ms(args.since, "--since"),
                           until_ms=None if args.until is None else parse_utc_ms(args.until, "--until"),
                           out_dir=Path(args.out), base_url=args.base_url)
    with _progress_bar(request) as progress:
        result = fetch(request, progress=progress)
    resumed = "" if result.resumed_after_ms is None else \
        f" (resumed after {_iso(result.resumed_after_ms)})"
    print(f"{result.path}: {result.written} candles written in {result.pages} pages{resumed}", file=stream)
    return check_command(str(result.path), out=stream)


def parse_utc_ms(text: str, option: str) -> int:
    """Epoch ms of `2024-01-01` (midnight UTC) or an ISO time (naive means UTC)."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{option} {text!r}: give a UTC date or time, like 2024-01-01 or "
                          "2024-01-01T12:00:00Z") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def fetch(request: FetchRequest, *, progress: Progress | None = None) -> FetchResult:
    """Download (or resume) `request` into its file; see the module docstring."""
    import trio

    from tradloopd.feeds.timeframes import timeframe_ms

    step_ms = timeframe_ms(request.timeframe)
    if request.until_ms is not None and request.until_ms <= request.since_ms:
        raise ConfigError("--until must be after --since")
    request.out_dir.mkdir(parents=True, exist_ok=True)
    last_ms = _prepare(request.path)
    return trio.run(_download, request, step_ms, last_ms, progress)


def _prepare(path: Path) -> int | None:
    """Make the file ready to append to; the open time of its last complete row, if any."""
    if not path.exists() or path.stat().st_size == 0:
        path.write_text(HEADER)
        return None
    data = path.read_bytes()
    if not data.startswith(HEADER.encode()):
        raise DataError(f"{path}: not a file this command wrote (header is not {HEADER.strip()!r}); "
                        "move it away or choose another --out")
    complete = data[: data.rfind(b"\n") + 1]
    if len(complete) < len(data):  # a row cut short by an interruption
        with path.open("r+b") as handle:
            handle.truncate(len(complete))
    rows = complete.decode().splitlines()[1:]
    return parse_utc_ms(rows[-1].split(",")[0], str(path)) if rows else None


async def _download(request: FetchRequest, step_ms: int, last_ms: int | None,
                    progress: Progress | None) -> FetchResult:
    from tradloopd.brokers.aio import open_aio_loop
    from tradloopd.feeds.ccxt_venue import open_ccxt_venue

    async with open_aio_loop(), open_ccxt_venue(request.exchange, base_url=request.base_url,
                                                timeout_s=request.timeout_s) as venue:
        await _retrying(request, venue.load_markets)
        venue.check(request.symbol, request.timeframe)
        now_ms = await _retrying(request, venue.server_time_ms) if venue.has_time else _wall_ms()
        end_ms = min(request.until_ms or now_ms, now_ms - now_ms % step_ms)  # open of the forming one
        cursor = request.since_ms if last_ms is None else max(request.since_ms, last_ms + step_ms)
        expected = max(0, (end_ms - request.since_ms + step_ms - 1) // step_ms)
        done = 0 if last_ms is None else max(0, (last_ms - request.since_ms) // step_ms + 1)
        written = pages = 0
        while cursor < end_ms:
            candles = await _page(request, venue, cursor)
            pages += 1
            rows = [c for c in candles if cursor <= c.ts_open_ms < end_ms]
            if not rows:
                break
            _append(request.path, rows)
            written += len(rows)
            cursor = rows[-1].ts_open_ms + step_ms
            if progress is not None:
                progress(done + written, expected)
    return FetchResult(request.path, written, last_ms, pages)


async def _page(request: FetchRequest, venue: CcxtVenue, since_ms: int) -> list[Candle]:
    async def one() -> list[Candle]:
        return await venue.fetch_candles(request.symbol, request.timeframe, since_ms=since_ms, limit=PAGE)

    return await _retrying(request, one)


async def _retrying(request: FetchRequest, call):  # type: ignore[no-untyped-def]
    """`call()`, retried with back-off while the exchange is unavailable or rate limits."""
    import structlog
    import trio

    from tradloopd.errors import VenueUnavailable
    from tradloopd.feeds.backoff import Backoff
    from tradloopd.feeds.ccxt_venue import AdvisedRateLimit

    backoff = Backoff(initial_s=request.backoff_initial_s, max_s=request.backoff_max_s)
    for attempt in range(ATTEMPTS):
        try:
            return await call()
        except VenueUnavailable as exc:
            if attempt == ATTEMPTS - 1:
                raise
            advised = exc.retry_after_s if isinstance(exc, AdvisedRateLimit) else None
            wait_s = advised if advised is not None else backoff.next_delay_s()
            structlog.get_logger().warning("fetch_retry", error=str(exc), wait_s=round(wait_s, 3))
            await trio.sleep(wait_s)
    raise AssertionError("unreachable")


def _append(path: Path, candles: list[Candle]) -> None:
    from tradloopd.model import to_decimal

    lines = [",".join([_iso(c.ts_open_ms), *(f"{to_decimal(v):f}" for v in
                                             (c.open, c.high, c.low, c.close, c.volume))]) + "\n"
             for c in candles]
    with path.open("a") as handle:
        handle.writelines(lines)
        handle.flush()


def _iso(ms: int) -> str:
    from tradloopd.data.timestamps import format_ts

    return format_ts(ms * NS_PER_MS)


def _wall_ms() -> int:
    import time

    return time.time_ns() // NS_PER_MS


@contextmanager
def _progress_bar(request: FetchRequest) -> Iterator[Progress]:
    """A rich progress bar on stderr: candles written of those expected (gone when done)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    with Bar("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
             TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"{request.exchange} {request.symbol} {request.timeframe}", total=None)
        yield lambda done, expected: bar.update(task, completed=done, total=expected)
