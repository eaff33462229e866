"""Interactive Brokers' historical-data pacing rules, as a budget the IB feed asks before each request.

IB answers a request that breaks its pacing with error 162 ("pacing violation") and, when it
happens again, may disconnect the client. The rules (TWS API, "Historical Data Limitations"):

- no more than 60 historical data requests in any ten minutes (`max_requests` per `WINDOW_S`);
- fewer than six requests for the same contract, exchange and data type within two seconds;
- no identical request (same contract, end, duration, bar size, data type) within fifteen seconds.

A pure core on a monotonic clock (trio time): `delay_s` says how long a request must wait,
`record` counts it once sent. It never refuses; the feed waits.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

WINDOW_S = 600.0
MAX_REQUESTS = 60
SAME_SERIES_S = 2.0
SAME_SERIES_MAX = 5
IDENTICAL_S = 15.0
MARGIN_S = 0.05  # stay clear of the boundaries: TWS's clock and ours do not tick together


@dataclass(frozen=True)
class HistoricalRequest:
    """One reqHistoricalData as IB judges its pacing."""

    con_id: int
    exchange: str
    what_to_show: str
    end: str
    duration: str
    bar_size: str
    use_rth: bool

    @property
    def series(self) -> tuple[int, str, str]:
        return self.con_id, self.exchange, self.what_to_show


class HistoricalPacing:
    """Times of the requests sent in the last ten minutes, per series and identical request."""

    def __init__(self, max_requests: int = MAX_REQUESTS) -> None:
        if not 1 <= max_requests <= MAX_REQUESTS:
            raise ValueError(f"max_requests must be 1..{MAX_REQUESTS}, got {max_requests}")
        self.max_requests = max_requests
        self.waited_s = 0.0  # time requests spent waiting for the budget, for statistics
        self._sent: deque[float] = deque()
        self._series: dict[tuple[int, str, str], deque[float]] = {}
        self._identical: dict[HistoricalRequest, float] = {}

    def in_window(self, now: float) -> int:
        """Requests sent in the ten minutes before `now`."""
        self._forget(now)
        return len(self._sent)

    def delay_s(self, request: HistoricalRequest, now: float) -> float:
        """Seconds `request` must wait from `now` to keep every rule; 0 if it may go now."""
        self._forget(now)
        waits = [0.0]
        if len(self._sent) >= self.max_requests:
            waits.append(self._sent[len(self._sent) - self.max_requests] + WINDOW_S + MARGIN_S - now)
        series = self._series.get(request.series, deque())
        if len(series) >= SAME_SERIES_MAX:
            waits.append(series[len(series) - SAME_SERIES_MAX] + SAME_SERIES_S + MARGIN_S - now)
        last = self._identical.get(request)
        if last is not None:
            waits.append(last + IDENTICAL_S + MARGIN_S - now)
        return max(waits)

    def record(self, request: HistoricalRequest, now: float) -> None:
        """`request` was sent at `now`."""
        self._sent.append(now)
        self._series.setdefault(request.series, deque()).append(now)
        self._identical[request] = now

    def _forget(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - WINDOW_S:
            self._sent.popleft()
        for key, times in list(self._series.items()):
            while times and times[0] <= now - SAME_SERIES_S:
                times.popleft()
            if not times:
                del self._series[key]
        for request, at in list(self._identical.items()):
            if at <= now - IDENTICAL_S:
                del self._identical[request]
