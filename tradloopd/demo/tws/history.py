"""The fake TWS's historical bars: deterministic synthetic OHLCV per contract, on the fake's clock.

Each listing gets a `PricePath` (`tradloopd.demo.candles`) that starts at the listing's price, on
its tick grid, seeded by the fake's seed and the contract id: a bar is a pure function of
(contract, bar size, open time), so a request asked again later, or after a restart, gets the same
bars. The bar forming at the fake's `now` is cut there, as TWS includes it when asked up to now.
Every contract trades around the clock.

`HistoricalData.answer` judges a request the way TWS does: the bar size and duration (IB's
step-size limits, "Time length exceed max"), the data type of the security type (forex has no
TRADES, an index nothing but TRADES), pacing (error 162 for the 61st request in ten minutes, the
sixth of a series in two seconds, an identical one within fifteen), and an empty answer is IB's
"HMDS query returned no data". Not served: keepUpToDate updates, BID_ASK and the other data
types, trading hours, adjusted data.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tradloopd.clock import Clock
from tradloopd.demo.candles import PricePath
from tradloopd.demo.markets import Market
from tradloopd.demo.tws import outbound
from tradloopd.demo.tws.catalog import Listing
from tradloopd.demo.tws.inbound import HistoricalQuery
from tradloopd.demo.tws.outbound import Message

BAR_SECONDS = {"1 secs": 1, "5 secs": 5, "10 secs": 10, "15 secs": 15, "30 secs": 30, "1 min": 60,
               "2 mins": 120, "3 mins": 180, "5 mins": 300, "10 mins": 600, "15 mins": 900, "20 mins": 1200,
               "30 mins": 1800, "1 hour": 3600, "2 hours": 7200, "3 hours": 10800, "4 hours": 14400,
               "8 hours": 28800, "1 day": 86400}
DAY = 86_400
UNIT_SECONDS = {"S": 1, "D": DAY, "W": 7 * DAY, "M": 30 * DAY, "Y": 365 * DAY}
# IB's step sizes: (duration, smallest bar, largest bar) in seconds.
STEP_SIZES = ((60, 1, 60), (120, 1, 120), (1800, 1, 1800), (3600, 5, 3600), (14_400, 10, 10_800),
              (28_800, 30, 28_800), (DAY, 60, DAY), (2 * DAY, 120, DAY), (7 * DAY, 180, 7 * DAY),
              (30 * DAY, 1800, 30 * DAY), (365 * DAY, DAY, 30 * DAY))
DATA_TYPES = {"CASH": {"MIDPOINT", "BID", "ASK"}, "IND": {"TRADES"}}
OTHER_DATA_TYPES = {"TRADES", "MIDPOINT", "BID", "ASK"}
VOLUME_PER_S = {"STK": 400.0, "FUT": 8.0, "OPT": 2.0}
HMDS = "Historical Market Data Service error message:"
PACING_WINDOW_S, PACING_MAX = 600.0, 60
SERIES_WINDOW_S, SERIES_MAX = 2.0, 5
IDENTICAL_S = 15.0
_DURATION = re.compile(r"^(\d+) ([SDWMY])$")


@dataclass(frozen=True)
class Refusal:
    code: int
    text: str


class HistoricalData:
    """Synthetic bars of every listing, and the pacing TWS enforces on asking for them."""

    def __init__(self, listings: tuple[Listing, ...], clock: Clock, *, seed: int = 7) -> None:
        self.clock = clock
        self.paths = {listing.con_id: PricePath(_market(listing, seed)) for listing in listings}
        self.pacing_violations = 0
        self.lag_ms = 0  # serve a bar only this long after it closed (a slow HMDS); 0: at once
        self._asked: deque[tuple[float, tuple[object, ...], tuple[object, ...]]] = deque()

    def price(self, listing: Listing, ts_ns: int) -> Decimal:
        """The synthetic price of a contract at `ts_ns`, on its tick grid."""
        return self.paths[listing.con_id].price(ts_ns // 1_000_000)

    def answer(self, query: HistoricalQuery, listing: Listing, now_s: float) -> Message:
        """The bars answering `query` at trio time `now_s`, or TWS's error."""
        req_id = query.req_id
        checked = self._checked(query, listing)
        if isinstance(checked, Refusal):
            return outbound.error(req_id, checked.code, checked.text)
        bar_s, span_s, end_ms = checked
        if self._paced(query, listing, now_s):
            self.pacing_violations += 1
            return outbound.error(req_id, 162, f"{HMDS}Historical data request pacing violation")
        now_ms = self.clock.now_ns() // 1_000_000
        length_ms = bar_s * 1000
        first = -(-(end_ms - span_s * 1000) // length_ms) * length_ms
        served = now_ms - self.lag_ms - length_ms + 1 if self.lag_ms else now_ms  # opens before this
        opens = list(range(first, min(end_ms, served), length_ms))
        if not opens:
            return outbound.error(req_id, 162, f"{HMDS}HMDS query returned no data: "
                                  f"{listing.local_symbol}@{listing.exchange} {query.what_to_show}")
        rows = self._rows(query, listing, opens, length_ms, now_ms)
        return outbound.historical_data(req_id, _text((end_ms - span_s * 1000) // 1000),
                                        _text(end_ms // 1000), rows)

    def _checked(self, query: HistoricalQuery, listing: Listing) -> Refusal | tuple[int, int, int]:
        """(bar seconds, duration seconds, end ms) of a valid request, else TWS's error."""
        bar_s = BAR_SECONDS.get(query.bar_size)
        duration = _DURATION.match(query.duration)
        if query.keep_up_to_date:
            return Refusal(321, "Error validating request: keepUpToDate is not served by the fake TWS")
        if bar_s is None:
            return Refusal(321, "Error validating request:-'bP' : cause - Historical data bar size "
                           f"setting is invalid: {query.bar_size!r}")
        if duration is None:
            return Refusal(321, f"Error validating request: historical data duration {query.duration!r} "
                           "is invalid")
        span_s = int(duration.group(1)) * UNIT_SECONDS[duration.group(2)]
        longest = max((d for d, low, high in STEP_SIZES if low <= bar_s <= high), default=0)
        if not bar_s <= span_s <= longest:
            return Refusal(162, f"{HMDS}Time length exceed max.")
        if query.what_to_show not in DATA_TYPES.get(listing.sec_type, OTHER_DATA_TYPES):
            return Refusal(162, f"{HMDS}No data of type {query.what_to_show} is available for the "
                           f"exchange '{listing.exchange}' and the security type '{listing.sec_type}'")
        end_ms = _end_ms(query.end, self.clock.now_ns() // 1_000_000)
        if end_ms is None:
            return Refusal(321, f"Error validating request: end date/time {query.end!r} is invalid")
        return bar_s, span_s, end_ms

    def _paced(self, query: HistoricalQuery, listing: Listing, now_s: float) -> bool:
        """Does this request break a pacing rule? Every request counts, refused ones too."""
        while self._asked and self._asked[0][0] <= now_s - PACING_WINDOW_S:
            self._asked.popleft()
        series = (listing.con_id, query.contract.exchange, query.what_to_show)
        identical = (*series, query.end, query.duration, query.bar_size, query.use_rth)
        paced = (len(self._asked) >= PACING_MAX
                 or sum(1 for at, s, _ in self._asked if s == series and at > now_s - SERIES_WINDOW_S)
                 >= SERIES_MAX
                 or any(i == identical and at > now_s - IDENTICAL_S for at, _, i in self._asked))
        self._asked.append((now_s, series, identical))
        return paced

    def _rows(self, query: HistoricalQuery, listing: Listing, opens: list[int], length_ms: int,
              now_ms: int) -> list[Message]:
        block = self.paths[listing.con_id].candles(opens, length_ms, now_ms)
        tick = listing.min_tick
        shift = {"BID": -1, "ASK": 1}.get(query.what_to_show, 0)
        trades = query.what_to_show == "TRADES" and listing.sec_type in VOLUME_PER_S
        rows: list[Message] = []
        for i, open_ms in enumerate(opens):
            o, h, low, c = (max(int(ticks) + shift, 1) * tick for ticks in (block.open[i], block.high[i],
                                                                             block.low[i], block.close[i]))
            volume = int(block.volume[i]) * listing.size_increment if trades else -1
            rows.append([_date(open_ms // 1000, length_ms, query.format_date), o, h, low, c, volume,
                         ((h + low + c) / 3).quantize(tick) if trades else -1,
                         int(block.trades[i]) if trades else -1])
        return rows


def _market(listing: Listing, seed: int) -> Market:
    """The synthetic market of a listing: its start price and tick, its own seed."""
    return Market(base=f"tws{seed}-{listing.con_id}", quote="", tick=listing.min_tick,
                  step=listing.size_increment, min_notional=Decimal(0), base_price=float(listing.price),
                  volume_per_s=VOLUME_PER_S.get(listing.sec_type, 1.0))


def _end_ms(text: str, now_ms: int) -> int | None:
    """endDateTime in ms ("" is now; a time after now is now); None if it cannot be read."""
    if not text:
        return now_ms
    day, _, rest = text.replace("-", " ", 1).partition(" ")
    clock, _, zone = rest.partition(" ")
    try:
        tz = ZoneInfo(zone) if zone else UTC
        when = datetime.strptime(f"{day} {clock}", "%Y%m%d %H:%M:%S").replace(tzinfo=tz)
    except (ValueError, ZoneInfoNotFoundError):
        return None
    return min(int(when.timestamp()) * 1000, now_ms)


def _text(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y%m%d %H:%M:%S")


def _date(seconds: int, length_ms: int, format_date: int) -> str | int:
    """A bar's date as TWS writes it: a day's bars YYYYMMDD, others epoch seconds or text (UTC)."""
    when = datetime.fromtimestamp(seconds, tz=UTC)
    if length_ms >= DAY * 1000:
        return when.strftime("%Y%m%d")
    return seconds if format_date == 2 else when.strftime("%Y%m%d %H:%M:%S UTC")
