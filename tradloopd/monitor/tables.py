"""The monitor's tables: one row function per noun (position, order, fill, risk limit, strategy, actor)
and a `RowsTable` that redraws rows by key and keeps the cursor on the row it was on."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from tradloopd.monitor.text import amount, date_time, indicator, percent, signed
from tradloopd.protocol import (
    ActorRow,
    FillRow,
    OrderRow,
    PositionRow,
    RiskLimitRow,
    StrategyRow,
)

Cells = tuple[str | Text, ...]
Row = tuple[str, Cells]  # (key, cells)

POSITION_COLUMNS = ("symbol", "side", "quantity", "avg price", "last", "unrealized", "realized")
ORDER_COLUMNS = ("order", "symbol", "side", "type", "quantity", "filled", "price", "trigger", "tif",
                 "status", "strategy", "created", "reason")
DASH_POSITION_COLUMNS = POSITION_COLUMNS[:6]
WORKING_COLUMNS = ("order", "symbol", "side", "type", "quantity", "price", "status")
FILL_COLUMNS = ("time", "order", "symbol", "side", "quantity", "price", "fee", "liq.", "strategy")
LATEST_FILL_COLUMNS = ("time", "symbol", "side", "quantity", "price", "fee")
RISK_COLUMNS = ("limit", "used", "maximum", "usage", "detail")
STRATEGY_COLUMNS = ("strategy", "symbol", "name", "last signal", "indicators")
ACTOR_COLUMNS = ("actor", "received", "sent", "dropped", "queue")
USAGE_BAR = 12


class RowsTable(DataTable[str | Text]):
    """A read-only table shown from rows; a redraw keeps the cursor on the same key."""

    def __init__(self, columns: Sequence[str], *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self._columns = tuple(columns)
        self._rows: list[Row] = []

    def on_mount(self) -> None:
        self.add_columns(*self._columns)

    def show(self, rows: list[Row]) -> None:
        if rows == self._rows:
            return
        selected = self.selected_key()
        self._rows = rows
        self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
        keys = [key for key, _ in rows]
        if selected in keys:
            self.move_cursor(row=keys.index(selected), animate=False)

    def selected_key(self) -> str | None:
        if not self._rows or not 0 <= self.cursor_row < len(self._rows):
            return None
        return self._rows[self.cursor_row][0]


def _side(side: str) -> Text:
    return Text(side, style="green" if side == "buy" else "red")


def position_row(p: PositionRow) -> Row:
    side = Text("long", style="green") if p.quantity > 0 else (
        Text("short", style="red") if p.quantity < 0 else Text("flat", style="dim"))
    return p.symbol, (p.symbol, side, amount(abs(p.quantity)), amount(p.avg_price), amount(p.last_price),
                      signed(p.unrealized_pnl), signed(p.realized_pnl))


def order_row(o: OrderRow) -> Row:
    return o.client_order_id, (
        o.client_order_id, o.symbol, _side(o.side), str(o.kind), _order_size(o), amount(o.filled_qty),
        amount(o.price), amount(o.trigger_price), str(o.tif), _status(o), o.strategy_id,
        date_time(o.ts_created), o.reason)


def working_row(o: OrderRow) -> Row:
    return o.client_order_id, (o.client_order_id, o.symbol, _side(o.side), str(o.kind), _order_size(o),
                               amount(o.price or o.trigger_price), _status(o))


def _order_size(o: OrderRow) -> str:
    return amount(o.quantity) if o.quantity is not None else f"{amount(o.notional)} notional"


def _status(o: OrderRow) -> Text:
    style = {"filled": "green", "denied": "red", "rejected": "red", "unresolved": "bold red",
             "canceled": "dim", "expired": "dim"}.get(str(o.status), "")
    return Text(str(o.status), style=style)


def fill_row(f: FillRow) -> Row:
    return f.fill_id, (date_time(f.ts_event), f.client_order_id, f.symbol, _side(f.side), amount(f.quantity),
                       amount(f.price), amount(f.fee), str(f.liquidity), f.strategy_id)


def latest_fill_row(f: FillRow) -> Row:
    return f.fill_id, (date_time(f.ts_event)[6:], f.symbol, _side(f.side), amount(f.quantity),
                       amount(f.price), amount(f.fee))


def risk_row(limit: RiskLimitRow) -> Row:
    usage = usage_fraction(limit)
    return limit.name, (limit.name, amount(limit.used), amount(limit.limit) if limit.limit is not None
                        else Text("not set", style="dim"), usage_bar(usage), limit.detail)


def usage_fraction(limit: RiskLimitRow) -> float | None:
    if limit.limit is None or limit.limit <= 0:
        return None
    return float(abs(limit.used) / limit.limit)


def usage_bar(fraction: float | None) -> Text:
    """`████▌░░░░ 45%`, yellow from 75%, red from 90%."""
    if fraction is None:
        return Text("–", style="dim")
    eighths = round(min(fraction, 1.0) * USAGE_BAR * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")
    style = "red" if fraction >= 0.9 else "yellow" if fraction >= 0.75 else "green"
    text = Text(bar.ljust(USAGE_BAR, "░"), style=style)
    text.append(f" {percent(fraction, 0):>4}")
    return text


def strategy_row(s: StrategyRow) -> Row:
    return s.strategy_id, (s.strategy_id, s.symbol, s.name, s.last_signal or "–", indicators(s))


def indicators(s: StrategyRow) -> str:
    return " ".join(f"{name}={indicator(value)}" for name, value in s.indicators.items())


def actor_row(a: ActorRow) -> Row:
    dropped = Text(str(a.dropped), style="yellow" if a.dropped else "")
    return a.name, (a.name, f"{a.received:,}", f"{a.sent:,}", dropped, str(a.queue_depth))


