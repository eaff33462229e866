"""What the monitor knows about the daemon: snapshots and updates folded into one plain, synchronous state.

The link (`link.py`) feeds it replies and updates; the screens read it. Nothing here does I/O or knows
about Textual, so every rule (rows keyed by id, lossy topics, the drawdown) is tested without an app.
Each part has a version number that grows when it changes; a screen redraws a part only when its
version moved since the last redraw, so a burst of thousands of updates costs one redraw per tick.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tradloopd.protocol import (
    BarRow,
    Dropped,
    EquityPoint,
    FillRow,
    LogRecord,
    OrderRow,
    PositionRow,
    StatusResult,
    Update,
    Welcome,
)

MAX_ORDERS = 2000  # finished orders beyond this are forgotten, oldest first (working ones are kept)
MAX_FILLS = 1000
MAX_EQUITY_POINTS = 5000
MAX_LOGS = 2000
#: After a `dropped` notice for these topics the rows may be stale: ask for the snapshot again.
RESYNC_TOPICS = frozenset({"orders", "fills", "positions"})
PARTS = ("link", "status", "positions", "orders", "fills", "equity", "logs", "bars")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


@dataclass
class LinkState:
    """Whether the monitor is attached, since when (ns UTC), and why it is not."""

    connected: bool = False
    since_ns: int | None = None
    reason: str = "connecting"
    attaches: int = 0


@dataclass
class MonitorState:
    """Everything shown on the screens, folded from the protocol's replies and updates."""

    link: LinkState = field(default_factory=LinkState)
    welcome: Welcome | None = None
    status: StatusResult | None = None
    positions: dict[str, PositionRow] = field(default_factory=dict)
    orders: OrderedDict[str, OrderRow] = field(default_factory=OrderedDict)
    fills: OrderedDict[str, FillRow] = field(default_factory=OrderedDict)
    equity: deque[tuple[int, float]] = field(default_factory=lambda: deque(maxlen=MAX_EQUITY_POINTS))
    logs: deque[LogRecord] = field(default_factory=lambda: deque(maxlen=MAX_LOGS))
    bars: dict[str, BarRow] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    updates_received: int = 0
    logs_received: int = 0
    versions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PARTS, 0))

    def _changed(self, part: str) -> None:
        self.versions[part] += 1

    # The link --------------------------------------------------------------------------------

    def attached(self, welcome: Welcome, now_ns: int) -> None:
        self.welcome = welcome
        self.link = LinkState(connected=True, since_ns=now_ns, reason="", attaches=self.link.attaches + 1)
        self._changed("link")

    def detached(self, now_ns: int, reason: str) -> None:
        """The connection ended or could not be made; keeps the time of the first failure."""
        since = self.link.since_ns if not self.link.connected and self.link.since_ns else now_ns
        self.link = LinkState(connected=False, since_ns=since, reason=reason, attaches=self.link.attaches)
        self._changed("link")

    # Snapshots -------------------------------------------------------------------------------

    def apply_status(self, status: StatusResult) -> None:
        self.status = status
        self._changed("status")

    def apply_positions(self, rows: Iterable[PositionRow]) -> None:
        self.positions = {row.symbol: row for row in rows}
        self._changed("positions")

    def apply_orders(self, rows: Iterable[OrderRow], *, working_snapshot: bool) -> None:
        """Rows of an `orders` reply; a snapshot of working orders also ends the ones it lacks."""
        rows = list(rows)
        if working_snapshot:
            present = {row.client_order_id for row in rows}
            for order_id in [i for i, o in self.orders.items() if o.status.is_working and i not in present]:
                del self.orders[order_id]  # ended while we were away; its end is in an `all` reply
        for row in rows:
            self._put_order(row)
        self._changed("orders")

    def apply_fills(self, rows: Iterable[FillRow]) -> None:
        for row in rows:
            self._put_fill(row)
        self._changed("fills")

    def apply_equity(self, points: Iterable[EquityPoint]) -> None:
        self.equity.clear()
        self.equity.extend((point.ts, float(point.equity)) for point in points)
        self._changed("equity")

    # Updates ---------------------------------------------------------------------------------

    def apply_update(self, update: Update) -> None:
        self.updates_received += 1
        data = update.data
        match data:
            case OrderRow():
                self._put_order(data)
                self._changed("orders")
            case FillRow():
                self._put_fill(data)
                self._changed("fills")
            case PositionRow():
                self.positions[data.symbol] = data
                self._changed("positions")
            case EquityPoint():
                self._put_equity(data)
            case LogRecord():
                self.logs.append(data)
                self.logs_received += 1
                self._changed("logs")
            case StatusResult():
                self.apply_status(data)
            case BarRow():
                self.bars[data.symbol] = data
                self._changed("bars")

    def apply_dropped(self, dropped: Dropped) -> bool:
        """Count the loss; True when the topic's snapshot must be asked for again."""
        self.dropped[dropped.topic] = self.dropped.get(dropped.topic, 0) + dropped.count
        self._changed("link")
        return dropped.topic in RESYNC_TOPICS

    def _put_order(self, row: OrderRow) -> None:
        self.orders[row.client_order_id] = row
        if len(self.orders) > MAX_ORDERS:
            finished = next((i for i, o in self.orders.items() if not o.status.is_working), None)
            if finished is not None:
                del self.orders[finished]

    def _put_fill(self, row: FillRow) -> None:
        self.fills[row.fill_id] = row
        while len(self.fills) > MAX_FILLS:
            self.fills.popitem(last=False)

    def _put_equity(self, point: EquityPoint) -> None:
        value = float(point.equity)
        if self.equity and (point.ts, value) == self.equity[-1]:
            return  # the snapshot already had it
        if self.equity and point.ts < self.equity[-1][0]:
            return  # older than the snapshot's last point
        self.equity.append((point.ts, value))
        self._changed("equity")

    # Views -----------------------------------------------------------------------------------

    def open_positions(self) -> list[PositionRow]:
        return sorted((p for p in self.positions.values() if p.quantity != 0), key=lambda p: p.symbol)

    def working_orders(self) -> list[OrderRow]:
        return sorted((o for o in self.orders.values() if o.status.is_working), key=_order_key)

    def order_rows(self, *, status: str = "all", symbol: str = "", side: str = "") -> list[OrderRow]:
        """Orders, oldest first, filtered: status `working`, `finished`, `all` or one status."""
        return sorted((o for o in self.orders.values() if _order_matches(o, status, symbol, side)),
                      key=_order_key)

    def fill_rows(self, *, symbol: str = "") -> list[FillRow]:
        rows = (f for f in self.fills.values() if not symbol or symbol.upper() in f.symbol.upper())
        return sorted(rows, key=lambda f: (f.ts_event, f.fill_id))

    def log_rows(self, min_level: str) -> Iterator[LogRecord]:
        floor = _level_rank(min_level)
        return (record for record in self.logs if _level_rank(record.level) >= floor)

    def equity_values(self) -> list[float]:
        return [value for _, value in self.equity]

    def drawdown_now(self) -> float | None:
        """The current drawdown from the status (equity / peak - 1), as a fraction <= 0."""
        if self.status is None or self.status.peak_equity <= 0:
            return None
        return min(0.0, float(self.status.equity / self.status.peak_equity) - 1.0)

    def symbols(self) -> list[str]:
        """Every symbol the monitor has seen: strategies, feeds, positions, orders."""
        seen: set[str] = set(self.positions) | {o.symbol for o in self.orders.values()}
        if self.status is not None:
            seen |= {s.symbol for s in self.status.strategies}
            seen |= {key.split(" ")[0] for key in self.status.feed}
        return sorted(seen)


def drawdown_series(values: list[float]) -> list[float]:
    """Each point's drawdown from the running peak of the series, as a fraction <= 0."""
    peak = float("-inf")
    out = []
    for value in values:
        peak = max(peak, value)
        out.append(value / peak - 1.0 if peak > 0 else 0.0)
    return out


def _order_key(order: OrderRow) -> tuple[int, str]:
    return (order.ts_created, order.client_order_id)


def _order_matches(order: OrderRow, status: str, symbol: str, side: str) -> bool:
    if symbol and symbol.upper() not in order.symbol.upper():
        return False
    if side and order.side != side:
        return False
    if status == "working":
        return order.status.is_working
    if status == "finished":
        return not order.status.is_working
    return status in ("all", order.status)


def _level_rank(level: str) -> int:
    level = level.lower()
    return LOG_LEVELS.index(level) if level in LOG_LEVELS else len(LOG_LEVELS) - 1
