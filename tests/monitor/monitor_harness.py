"""Running the monitor app under Textual's Pilot from plain `def` tests (pytest-trio claims `async def`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from tests.monitor import canned
from tradloopd.clock import SimClock
from tradloopd.monitor.app import MonitorApp

Scenario = Callable[[Pilot, MonitorApp], Awaitable[None]]


def monitor_app(socket_path: Path, **options: object) -> MonitorApp:
    """The app on a fixed clock (01:00:00 UTC), so "since ..." texts never change; no animations."""
    app = MonitorApp(socket_path, clock=SimClock(canned.NOW), **options)  # type: ignore[arg-type]
    app.animation_level = "none"
    return app


def run(app: MonitorApp, scenario: Scenario, *, size: tuple[int, int] = (120, 36)) -> None:
    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await scenario(pilot, app)

    # A plain selector loop, not the policy's: once trio_asyncio is imported (by other tests in
    # this process) the policy would hand out loops that need the Trio greenlet.
    with asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
        runner.run(main())


async def until(pilot: Pilot, predicate: Callable[[], bool], *, timeout_s: float = 10.0,
                what: str = "condition") -> None:
    """Let the app run until `predicate()` holds; fail after `timeout_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what} not reached within {timeout_s} s")
        await pilot.pause(0.02)


async def attached(pilot: Pilot, app: MonitorApp, count: int = 1) -> None:
    await until(pilot, lambda: app.state.link.connected and app.state.link.attaches >= count,
                what=f"attach #{count}")
    app.redraw(force=True)
    await pilot.pause()


def text_of(app: MonitorApp, selector: str) -> str:
    """The plain text a Static shows."""
    return str(app.screen_stack[0].query_one(selector, Static).render())


def outcome(app: MonitorApp) -> str:
    return text_of(app, "#outcome")
