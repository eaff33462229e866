"""Live behaviour against the fake daemon: updates move the screens, a restart is survived, a burst of
updates does not freeze the app, lost updates are counted and re-synced, the log level filters."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tests.monitor import canned
from tests.monitor.monitor_harness import attached, monitor_app, run, text_of, until
from tradloopd.model import OrderStatus, TradingState
from tradloopd.protocol import EquityPoint, LogRecord, Orders, PositionRow


def test_status_and_position_updates_redraw_the_dashboard(fake):
    async def scenario(pilot, app):
        await attached(pilot, app)
        fake.push("status", [canned.status(trading_state=TradingState.HALTED, state_reason="news")])
        fake.push("positions", [PositionRow(symbol="SOL/USDT", quantity=Decimal("10"),
                                            avg_price=Decimal("150"), last_price=Decimal("151"),
                                            unrealized_pnl=Decimal("10"), realized_pnl=Decimal("0"))])
        await until(pilot, lambda: "HALTED" in text_of(app, "#state-bar"), what="halted shown")
        assert "news" in text_of(app, "#state-bar")
        await until(pilot, lambda: app.screen_stack[0].query_one("#dash-positions").row_count == 3)

    run(monitor_app(fake.path), scenario)


def test_reconnects_after_the_daemon_restarts(fake):
    async def scenario(pilot, app):
        await attached(pilot, app)
        fake.stop()
        await until(pilot, lambda: "DISCONNECTED" in text_of(app, "#state-bar"), what="disconnected shown")
        bar = text_of(app, "#state-bar")
        assert "DISCONNECTED since 01:00:00 UTC" in bar
        # the reason: the closed connection, or (once it retried) the missing socket
        assert "· retrying · last known: paper-1 active" in bar
        fake.start()
        await attached(pilot, app, count=2)
        assert "ACTIVE" in text_of(app, "#state-bar")
        assert app.screen_stack[0].query_one("#dash-positions").row_count == 2

    run(monitor_app(fake.path), scenario)


def test_a_burst_of_5000_updates_is_coalesced(fake):
    logs = [LogRecord(ts=canned.NOW + i, level="info", event="tick", actor="feed", fields={"i": i})
            for i in range(2500)]
    marks = [EquityPoint(ts=canned.NOW + i, equity=Decimal(100_000 + i), cash=Decimal(0))
             for i in range(2500)]

    async def scenario(pilot, app):
        await attached(pilot, app)
        draws_before = dict(app.draw_counts)
        fake.push("logs", logs)
        fake.push("equity", marks)
        await until(pilot, lambda: app.state.updates_received == 5000, what="all 5000 applied")
        await pilot.press("7")  # the app still answers keys
        pane = app.screen_stack[0].query_one("#logs-log")
        await until(pilot, lambda: pane.lines and pane.lines[-1].text.endswith("tick i=2499"),
                    what="the log tab drawn up to the last line")
        redraws = app.draw_counts["dash-log"] - draws_before.get("dash-log", 0)
        assert redraws <= 100, redraws  # one per tick (4 a second), not one per update
        assert app.state.equity[-1][1] == 102_499

    run(monitor_app(fake.path), scenario)


def test_dropped_updates_are_counted_and_resynced(fake):
    async def scenario(pilot, app):
        await attached(pilot, app)
        orders_before = len(fake.of_type(Orders))
        fake.drop("orders", 120)
        fake.drop("bars", 7)
        await until(pilot, lambda: len(fake.of_type(Orders)) > orders_before, what="orders asked again")
        await until(pilot, lambda: "dropped bars 7, orders 120" in text_of(app, "#system"), what="shown")

    run(monitor_app(fake.path), scenario)


def test_order_updates_end_working_orders(fake):
    async def scenario(pilot, app):
        await attached(pilot, app)
        canceled = msgspec.structs.replace(canned.ORDERS[1], status=OrderStatus.CANCELED, reason="by user")
        fake.push("orders", [canceled])
        await until(pilot, lambda: app.screen_stack[0].query_one("#dash-orders").row_count == 2)

    run(monitor_app(fake.path), scenario)


def test_log_level_key_filters_the_log_pane(fake):
    async def scenario(pilot, app):
        await attached(pilot, app)
        fake.push("logs", canned.LOGS)
        await pilot.press("7")
        pane = app.screen_stack[0].query_one("#logs-log")
        await until(pilot, lambda: len(pane.lines) == 3, what="info and above")
        await pilot.press("l")  # warning and above
        await until(pilot, lambda: len(pane.lines) == 2, what="warning and above")
        assert pane.border_title == "log ≥ warning (l: level)"
        await pilot.press("l", "l")  # error, then debug (everything)
        await until(pilot, lambda: len(pane.lines) == 4, what="everything")

    run(monitor_app(fake.path), scenario)


def test_orders_tab_filters(fake):
    async def scenario(pilot, app):
        await attached(pilot, app)
        await pilot.press("2")
        main = app.screen_stack[0]
        table = main.query_one("#orders-table")
        await until(pilot, lambda: table.row_count == 3, what="working orders")
        main.query_one("#orders-status").value = "all"
        await until(pilot, lambda: table.row_count == 5, what="all orders")
        main.query_one("#orders-symbol").value = "eth"
        await until(pilot, lambda: table.row_count == 2, what="ETH orders")
        main.query_one("#orders-status").value = "denied"
        main.query_one("#orders-symbol").value = ""
        await until(pilot, lambda: table.row_count == 1, what="denied orders")

    run(monitor_app(fake.path), scenario)
