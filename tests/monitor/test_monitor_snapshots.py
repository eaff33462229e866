"""Screenshots of every screen at fixed terminal sizes, from the fake daemon's fixed data and a fixed
clock, so they only change when the monitor's look does. Update with `pytest --snapshot-update`
after checking the new pictures (`snapshot_report.html` shows the differences)."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from tests.monitor import canned
from tests.monitor.monitor_harness import attached, monitor_app, until
from tradloopd.protocol import Error

WIDE, SMALL = (120, 36), (80, 24)


def settle(fake, *, press=(), logs=False):  # type: ignore[no-untyped-def]
    """`run_before` for snap_compare: attach, optionally show logs, press keys, stop the cursor blinking."""
    async def run_before(pilot):  # type: ignore[no-untyped-def]
        app = pilot.app
        await attached(pilot, app)
        if logs:
            fake.push("logs", canned.LOGS)
            await until(pilot, lambda: len(app.state.logs) == len(canned.LOGS), what="logs")
        for key in press:
            await pilot.press(key)
            await pilot.pause()
        for widget in app.screen.query(Input):
            widget.cursor_blink = False
        app.redraw(force=True)
        await tables_sized(pilot)

    return run_before


async def tables_sized(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until every table has measured its new rows (DataTable does it when idle)."""
    tables = list(pilot.app.screen_stack[0].query(DataTable))
    await until(pilot, lambda: not any(getattr(t, "_require_update_dimensions", False) for t in tables),
                what="tables measured")
    await pilot.pause()


def test_dashboard_wide(fake, snap_compare):
    assert snap_compare(monitor_app(fake.path), terminal_size=WIDE, run_before=settle(fake, logs=True))


def test_dashboard_80x24(fake, snap_compare):
    assert snap_compare(monitor_app(fake.path), terminal_size=SMALL, run_before=settle(fake))


def test_dashboard_light_theme(fake, snap_compare):
    assert snap_compare(monitor_app(fake.path, theme="light"), terminal_size=WIDE,
                        run_before=settle(fake, logs=True))


@pytest.mark.parametrize("tab", ["2", "3", "4", "5", "6", "7"])
def test_tabs(fake, snap_compare, tab):
    assert snap_compare(monitor_app(fake.path), terminal_size=(100, 30),
                        run_before=settle(fake, press=(tab,), logs=tab == "7"))


def test_halt_dialog_80x24(fake, snap_compare):
    assert snap_compare(monitor_app(fake.path), terminal_size=SMALL, run_before=settle(fake, press=("h",)))


def test_order_form_with_a_problem_80x24(fake, snap_compare):
    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await settle(fake, press=("n",))(pilot)
        pilot.app.screen.query_one("#f-kind").value = "limit"
        await pilot.press("1", "ctrl+s")
        await pilot.pause()

    assert snap_compare(monitor_app(fake.path), terminal_size=SMALL, run_before=run_before)


def test_disconnected(fake, snap_compare):
    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await settle(fake)(pilot)
        fake.kick(Error(id=None, code="unavailable", message="the daemon is shutting down"))
        await until(pilot, lambda: pilot.app.state.link.reason == "the daemon is shutting down",
                    what="disconnected, refused on reconnecting")
        pilot.app.redraw(force=True)
        await tables_sized(pilot)

    assert snap_compare(monitor_app(fake.path), terminal_size=(100, 30), run_before=run_before)
