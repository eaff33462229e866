"""The Textual app: tabs over the `MonitorState`, redrawn on a timer, and the trading actions.

The link task folds updates into the state as fast as they come; a timer (4 Hz) redraws only the
views whose parts changed and that are on screen, so a burst of updates costs one redraw per tick.
Every action that changes trading goes through a confirmation modal first, and its outcome (or the
daemon's refusal, or the risk guard's denial) is shown on the outcome line and as a notification.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, TypeVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Select, Static, TabbedContent, TabPane

from tradloopd.clock import Clock, WallClock
from tradloopd.ctl import ControlError
from tradloopd.monitor import tables
from tradloopd.monitor.chart import EquityChart
from tradloopd.monitor.link import Connect, DaemonLink
from tradloopd.monitor.modals import ConfirmScreen, HaltScreen
from tradloopd.monitor.model import LOG_LEVELS, MonitorState
from tradloopd.monitor.order_form import OrderForm, describe
from tradloopd.monitor.panels import Figures, LogPane, StateBar, StrategyDetail, SystemPanel
from tradloopd.monitor.tables import RowsTable
from tradloopd.protocol import BaseRequest, Cancel, Flatten, Halt, OrderRow, PositionRow, Resume

ResultT = TypeVar("ResultT")
THEMES = {"dark": "textual-dark", "light": "textual-light"}
TABS = ("dashboard", "orders", "fills", "positions", "risk", "strategies", "logs")
TRADING_ACTIONS = frozenset({"halt", "resume", "flatten_all", "flatten_one", "cancel_one", "cancel_all",
                             "new_order"})
BOX_TITLES = {"system": "system", "dash-positions": "positions", "dash-orders": "working orders",
              "dash-fills": "latest fills", "dash-strategies": "strategies", "dash-actors": "actors"}
NARROW_BELOW = 120  # columns: under this the dashboard stacks its panels and scrolls
REFUSALS = frozenset({"bad_request", "not_found", "denied", "unavailable"})  # nothing was done
ORDER_STATUS_FILTERS = [("working", "working"), ("finished", "finished"), ("all", "all"),
                        ("filled", "filled"), ("canceled", "canceled"), ("denied", "denied"),
                        ("rejected", "rejected")]


class MonitorApp(App[int]):
    """`tradloopd monitor`: watch and steer one daemon over its control socket."""

    CSS_PATH = "monitor.tcss"
    ENABLE_COMMAND_PALETTE = False
    TITLE = "tradloopd monitor"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("h", "halt", "Halt"),
        Binding("r", "resume", "Resume"),
        Binding("f", "flatten_one", "Flat"),
        Binding("F", "flatten_all", "Flat all"),
        Binding("x", "cancel_one", "Cancel"),
        Binding("X", "cancel_all", "Cancel all"),
        Binding("n", "new_order", "Order"),
        Binding("l", "log_level", "Log"),
        Binding("t", "toggle_theme", "Theme", show=False),
        Binding("q", "quit", "Quit"),
        *(Binding(str(i + 1), f"show_tab('{tab}')", tab.title(), show=False) for i, tab in enumerate(TABS)),
    ]

    def __init__(self, socket_path: Path, *, clock: Clock | None = None, theme: str = "dark",
                 connect: Connect | None = None, redraw_s: float = 0.25) -> None:
        super().__init__()
        self.state = MonitorState()
        clock = clock or WallClock()
        self.link = DaemonLink(socket_path, self.state, clock, **({"connect": connect} if connect else {}))
        self.theme = THEMES.get(theme, theme)
        self.min_log_level = "info"
        self._redraw_s = redraw_s
        self._drawn: dict[str, tuple[int, ...]] = {}
        self.draw_counts: Counter[str] = Counter()  # redraws per view: a burst must cost few
        self._filter_generation = 0  # grows when a filter changes, so the filtered views redraw
        self._views: list[tuple[str, str | None, tuple[str, ...], Callable[[], None]]] = []

    # Layout ----------------------------------------------------------------------------------

    @property
    def _main(self) -> Screen[object]:
        """The tabs' screen: queries go here even while a dialog is on top."""
        return self.screen_stack[0]

    def compose(self) -> ComposeResult:
        yield StateBar(id="state-bar")
        yield Static("", id="outcome")
        with TabbedContent(initial="dashboard"):
            with TabPane("1 Dashboard", id="dashboard"), VerticalScroll(id="dash"):
                yield Figures(id="figures")
                with Horizontal(classes="row", id="dash-chart"):
                    yield EquityChart(id="chart")
                    yield SystemPanel(id="system", classes="box")
                with Horizontal(classes="row"):
                    yield RowsTable(tables.DASH_POSITION_COLUMNS, id="dash-positions", classes="box")
                    yield RowsTable(tables.WORKING_COLUMNS, id="dash-orders", classes="box")
                with Horizontal(classes="row"):
                    yield RowsTable(tables.LATEST_FILL_COLUMNS, id="dash-fills", classes="box")
                    yield RowsTable(tables.STRATEGY_COLUMNS[:4], id="dash-strategies", classes="box")
                with Horizontal(classes="row"):
                    yield RowsTable(tables.ACTOR_COLUMNS, id="dash-actors", classes="box")
                    yield LogPane(id="dash-log")
            with TabPane("2 Orders", id="orders"), Vertical():
                with Horizontal(classes="filters"):
                    yield Select(ORDER_STATUS_FILTERS, value="working", allow_blank=False,
                                 id="orders-status", compact=True)
                    yield Select([("buy", "buy"), ("sell", "sell")], prompt="any side", id="orders-side",
                                 compact=True)
                    yield Input(placeholder="symbol filter", id="orders-symbol", compact=True)
                yield RowsTable(tables.ORDER_COLUMNS, id="orders-table")
            with TabPane("3 Fills", id="fills"), Vertical():
                with Horizontal(classes="filters"):
                    yield Input(placeholder="symbol filter", id="fills-symbol", compact=True)
                yield RowsTable(tables.FILL_COLUMNS, id="fills-table")
            with TabPane("4 Positions", id="positions"):
                yield RowsTable(tables.POSITION_COLUMNS, id="positions-table")
            with TabPane("5 Risk", id="risk"), Vertical():
                yield Static("", id="risk-state")
                yield RowsTable(tables.RISK_COLUMNS, id="risk-table")
            with TabPane("6 Strategies", id="strategies"), Vertical():
                yield RowsTable(tables.STRATEGY_COLUMNS, id="strategies-table")
                yield StrategyDetail(id="strategy-detail")
            with TabPane("7 Logs", id="logs"):
                yield LogPane(id="logs-log")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._register_views()
        self.run_worker(self.link.run(), name="link", group="link")
        self.set_interval(self._redraw_s, self.redraw)
        self._fit(self.size.width)
        for box_id, title in BOX_TITLES.items():
            self._main.query_one(f"#{box_id}").border_title = title
        self.redraw()

    def on_resize(self) -> None:
        if self.screen_stack:
            self._fit(self.size.width)

    def _fit(self, width: int) -> None:
        self._main.set_class(width < NARROW_BELOW, "-narrow")

    # Redrawing -------------------------------------------------------------------------------

    def _register_views(self) -> None:
        state = self.state

        def view(name: str, tab: str | None, parts: tuple[str, ...], draw: Callable[[], None]) -> None:
            self._views.append((name, tab, parts, draw))

        def table(table_id: str) -> RowsTable:
            return self._main.query_one(f"#{table_id}", RowsTable)

        view("state-bar", None, ("link", "status"), self._draw_state_bar)
        view("figures", "dashboard", ("status",), lambda: self._main.query_one(Figures).show(state))
        view("chart", "dashboard", ("equity",),
             lambda: self._main.query_one(EquityChart).plot(state.equity_values()))
        view("system", "dashboard", ("status", "link"), lambda: self._main.query_one(SystemPanel).show(state))
        view("dash-positions", "dashboard", ("positions",),
             lambda: table("dash-positions").show([(key, cells[:6]) for key, cells in map(
                 tables.position_row, state.open_positions())]))
        view("dash-orders", "dashboard", ("orders",),
             lambda: table("dash-orders").show([tables.working_row(o) for o in state.working_orders()]))
        view("dash-fills", "dashboard", ("fills",), lambda: table("dash-fills").show(
            [tables.latest_fill_row(f) for f in reversed(state.fill_rows()[-50:])]))
        view("dash-strategies", "dashboard", ("status",), lambda: table("dash-strategies").show(
            [(key, cells[:4]) for key, cells in map(tables.strategy_row, self._strategies())]))
        view("dash-actors", "dashboard", ("status",), lambda: table("dash-actors").show(
            [tables.actor_row(a) for a in (state.status.actors if state.status else [])]))
        view("dash-log", "dashboard", ("logs",), lambda: self._main.query_one("#dash-log", LogPane).show(
            state, self.min_log_level))
        view("orders", "orders", ("orders",), self._draw_orders)
        view("fills", "fills", ("fills",), lambda: table("fills-table").show(
            [tables.fill_row(f) for f in reversed(state.fill_rows(symbol=self._text("#fills-symbol")))]))
        view("positions", "positions", ("positions",), lambda: table("positions-table").show(
            [tables.position_row(p) for p in sorted(state.positions.values(), key=lambda p: p.symbol)]))
        view("risk", "risk", ("status",), self._draw_risk)
        view("strategies", "strategies", ("status", "bars"), self._draw_strategies)
        view("logs", "logs", ("logs",), lambda: self._main.query_one("#logs-log", LogPane).show(
            state, self.min_log_level))

    def redraw(self, *, force: bool = False) -> None:
        """Redraw each visible view whose parts changed since it was last drawn."""
        try:
            active = self._main.query_one(TabbedContent).active
        except (NoMatches, IndexError):  # the app is closing
            return
        for name, tab, parts, draw in self._views:
            if tab is not None and tab != active:
                continue
            key = (*(self.state.versions[part] for part in parts), self._filter_generation)
            if force or self._drawn.get(name) != key:
                self._drawn[name] = key
                self.draw_counts[name] += 1
                draw()

    def _draw_state_bar(self) -> None:
        self._main.query_one(StateBar).show(self.state)
        self._main.set_class(not self.state.link.connected and self.state.status is not None, "-stale")

    def _text(self, selector: str) -> str:
        return self._main.query_one(selector, Input).value.strip()

    def _draw_orders(self) -> None:
        status = str(self._main.query_one("#orders-status", Select).value)
        side = self._main.query_one("#orders-side", Select).value
        rows = self.state.order_rows(status=status, symbol=self._text("#orders-symbol"),
                                     side=side if isinstance(side, str) else "")
        self._main.query_one("#orders-table", RowsTable).show([tables.order_row(o) for o in reversed(rows)])

    def _draw_risk(self) -> None:
        status = self.state.status
        limits = status.risk_limits if status else []
        self._main.query_one("#risk-table", RowsTable).show([tables.risk_row(limit) for limit in limits])
        if status is None:
            return
        reason = f": {status.state_reason}" if status.state_reason else ""
        self._main.query_one("#risk-state", Static).update(
            f"trading state {str(status.trading_state).upper()}{reason} · open orders {status.open_orders}"
            " · h halt, r resume, F flatten all")

    def _strategies(self) -> list[tables.StrategyRow]:
        return list(self.state.status.strategies) if self.state.status else []

    def _draw_strategies(self) -> None:
        strategies = self._strategies()
        table = self._main.query_one("#strategies-table", RowsTable)
        table.show([tables.strategy_row(s) for s in strategies])
        chosen = next((s for s in strategies if s.strategy_id == table.selected_key()), None)
        bar = self.state.bars.get(chosen.symbol) if chosen else None
        position = self.state.positions.get(chosen.symbol) if chosen else None
        self._main.query_one(StrategyDetail).show(chosen, bar, position)

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.redraw()

    @on(Select.Changed)
    @on(Input.Changed, "#orders-symbol, #fills-symbol")
    def _filter_changed(self) -> None:
        self._filter_generation += 1
        self.redraw()

    @on(RowsTable.RowHighlighted, "#strategies-table")
    def _strategy_chosen(self) -> None:
        self._filter_generation += 1
        self.redraw()

    # Actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in TRADING_ACTIONS and isinstance(self.screen, ModalScreen))

    def action_show_tab(self, tab: str) -> None:
        self._main.query_one(TabbedContent).active = tab

    def action_log_level(self) -> None:
        self.min_log_level = LOG_LEVELS[(LOG_LEVELS.index(self.min_log_level) + 1) % (len(LOG_LEVELS) - 1)]
        self._filter_generation += 1
        self.redraw()

    def action_toggle_theme(self) -> None:
        self.theme = THEMES["light"] if self.theme == THEMES["dark"] else THEMES["dark"]

    def show_outcome(self, message: str, *, error: bool = False) -> None:
        line = self._main.query_one("#outcome", Static)
        line.update(message)
        line.set_class(error, "-error")
        line.set_class(not error, "-ok")
        self.notify(message, severity="error" if error else "information", timeout=6)

    async def _send(self, request: BaseRequest[ResultT], what: str) -> ResultT | None:
        try:
            return await self.link.request(request)
        except ControlError as exc:
            if exc.code in REFUSALS:
                self.show_outcome(f"{what} refused: {exc.message}", error=True)
            else:  # timeout, internal, a lost connection: the command may or may not have taken effect
                self.show_outcome(f"{what} failed ({exc.code}): {exc.message} — check orders and positions",
                                  error=True)
            return None

    def _attached(self, what: str) -> bool:
        if not self.link.connected:
            self.show_outcome(f"{what}: not connected to the daemon ({self.state.link.reason})", error=True)
        return self.link.connected

    async def _confirmed(self, title: str, detail: str, confirm: str) -> bool:
        if await self.push_screen_wait(ConfirmScreen(title, detail, confirm=confirm)):
            return True
        self.show_outcome(f"{confirm.lower()} cancelled: nothing sent")
        return False

    @work(group="actions")
    async def action_halt(self) -> None:
        if not self._attached("halt"):
            return
        reason = await self.push_screen_wait(HaltScreen())
        if reason is None:
            self.show_outcome("halt cancelled: nothing sent")
            return
        result = await self._send(Halt(reason=reason), "halt")
        if result is not None:
            self.show_outcome(f"trading halted: {result.state_reason}" if result.changed
                              else f"already halted: {result.state_reason}")

    @work(group="actions")
    async def action_resume(self) -> None:
        if not self._attached("resume"):
            return
        if not await self._confirmed("Resume trading?", "Strategies may open positions again.", "Resume"):
            return
        result = await self._send(Resume(), "resume")
        if result is not None:
            self.show_outcome("trading resumed" if result.changed else f"already {result.trading_state}")

    @work(group="actions")
    async def action_flatten_all(self) -> None:
        if not self._attached("flatten"):
            return
        count = len(self.state.open_positions())
        detail = f"Cancel every working order and close all {count} position(s) at market."
        if await self._confirmed("Flatten everything?", detail, "Flatten"):
            await self._flatten(None)

    @work(group="actions")
    async def action_flatten_one(self) -> None:
        if not self._attached("flatten"):
            return
        position = self._selected_position()
        if position is None:
            self.show_outcome("flatten: select a position (dashboard or tab 4) first", error=True)
            return
        side = "long" if position.quantity > 0 else "short"
        detail = (f"Cancel {position.symbol}'s working orders and close the {side} "
                  f"{abs(position.quantity)} at market.")
        if await self._confirmed(f"Flatten {position.symbol}?", detail, "Flatten"):
            await self._flatten(position.symbol)

    async def _flatten(self, symbol: str | None) -> None:
        result = await self._send(Flatten(symbol=symbol), "flatten")
        if result is not None:
            self.show_outcome(f"flatten {symbol or 'all'}: canceled {len(result.canceled)} order(s), "
                              f"submitted {len(result.submitted)} closing order(s)")

    @work(group="actions")
    async def action_cancel_one(self) -> None:
        if not self._attached("cancel"):
            return
        order = self._selected_order()
        if order is None or not order.status.is_working:
            problem = f"{order.client_order_id} is {order.status}" if order else "select a working order"
            self.show_outcome(f"cancel: {problem} (dashboard or tab 2)", error=True)
            return
        if await self._confirmed(f"Cancel {order.client_order_id}?", tables_line(order), "Cancel order"):
            result = await self._send(Cancel(client_order_id=order.client_order_id), "cancel")
            if result is not None:
                self.show_outcome(f"cancel sent for {', '.join(result.client_order_ids) or 'nothing'}")

    @work(group="actions")
    async def action_cancel_all(self) -> None:
        if not self._attached("cancel all"):
            return
        count = len(self.state.working_orders())
        if await self._confirmed("Cancel all working orders?", f"{count} working order(s).", "Cancel all"):
            result = await self._send(Cancel(all=True), "cancel all")
            if result is not None:
                self.show_outcome(f"cancel sent for {len(result.client_order_ids)} order(s)")

    @work(group="actions")
    async def action_new_order(self) -> None:
        if not self._attached("order"):
            return
        position = self._selected_position()
        submit = await self.push_screen_wait(
            OrderForm(self.state.symbols(), symbol=position.symbol if position else ""))
        if submit is None:
            self.show_outcome("order cancelled: nothing sent")
            return
        if not await self._confirmed("Send this order?", describe(submit), "Send"):
            return
        result = await self._send(submit, "order")
        if result is None:
            return
        if result.accepted_by_risk:
            self.show_outcome(f"order {result.client_order_id} passed the risk guard: {describe(submit)}")
        else:
            self.show_outcome(f"order {result.client_order_id} denied by the risk guard: {result.reason}",
                              error=True)

    def _selected_position(self) -> PositionRow | None:
        tab = self._main.query_one(TabbedContent).active
        table_id = {"dashboard": "#dash-positions", "positions": "#positions-table"}.get(tab)
        key = self._main.query_one(table_id, RowsTable).selected_key() if table_id else None
        position = self.state.positions.get(key) if key else None
        return position if position is not None and position.quantity != 0 else None

    def _selected_order(self) -> OrderRow | None:
        tab = self._main.query_one(TabbedContent).active
        table_id = {"dashboard": "#dash-orders", "orders": "#orders-table"}.get(tab)
        key = self._main.query_one(table_id, RowsTable).selected_key() if table_id else None
        return self.state.orders.get(key) if key else None


def tables_line(order: OrderRow) -> str:
    size = order.quantity if order.quantity is not None else f"{order.notional} notional"
    price = f" @ {order.price}" if order.price is not None else ""
    return f"{order.side} {order.kind} {size} {order.symbol}{price} ({order.status})"
