"""The monitor against a real paper daemon process (trading the churn strategy on the fake exchange):
a risk denial is shown, halt / flatten / resume from the keyboard reach the daemon, and after a
kill -9 and a restart the monitor shows "disconnected since" and then attaches again."""

from __future__ import annotations

import asyncio

import pytest

from tests.daemon.daemon_process import Daemon, daemon_toml
from tests.monitor.monitor_harness import attached, monitor_app, outcome, run, text_of, until
from tradloopd.demo.binance import FakeBinance
from tradloopd.protocol import Positions, Status

pytestmark = pytest.mark.slow


@pytest.fixture
def exchange():
    with FakeBinance() as fake:
        yield fake


@pytest.fixture
def daemon(short_dir, exchange):
    state = short_dir / "state"
    config = short_dir / "daemon.toml"
    config.write_text(daemon_toml(state, exchange.url, extra="[risk]\nmax-order-notional = 5000\n"))
    process = Daemon(config, state, short_dir / "daemon.log")
    yield process.start()
    if process.process is not None and process.process.poll() is None:
        process.kill()


def ask(daemon: Daemon, request):  # type: ignore[no-untyped-def]
    with daemon.client() as client:
        return client.request(request)


async def confirm(pilot, app, key: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(key)
    await until(pilot, lambda: len(app.screen_stack) == 2, what=f"dialog for {key}")
    await pilot.press("y")


def test_keys_reach_the_daemon_and_a_kill_9_is_survived(daemon):
    async def scenario(pilot, app):
        await attached(pilot, app)
        await until(pilot, app.state.open_positions, what="the churn strategy holds a position")
        await pilot.press("n")
        await until(pilot, lambda: app.screen.query("#f-quantity"), what="order form")
        app.screen.query_one("#f-symbol").value = "BTC/USDT"
        await pilot.press("1", "ctrl+s")
        await until(pilot, lambda: app.screen.query(".dialog-detail"), what="confirmation")
        await pilot.press("y")
        await until(pilot, lambda: "denied by the risk guard" in outcome(app), what="denial")
        assert "exceeds max-order-notional 5000" in outcome(app)

        await pilot.press("h", "enter")
        await until(pilot, lambda: "trading halted" in outcome(app), what="halt outcome")
        status = await asyncio.to_thread(ask, daemon, Status())
        assert (str(status.trading_state), status.state_reason) == ("halted", "halted from the monitor")
        await until(pilot, lambda: "HALTED" in text_of(app, "#state-bar"), what="halted on the bar")

        await confirm(pilot, app, "F")
        await until(pilot, lambda: "flatten all" in outcome(app), what="flatten outcome")

        async def flat() -> bool:
            positions = (await asyncio.to_thread(ask, daemon, Positions())).positions
            return all(p.quantity == 0 for p in positions)

        for _ in range(200):
            if await flat():
                break
            await pilot.pause(0.05)
        assert await flat()

        await confirm(pilot, app, "r")
        await until(pilot, lambda: outcome(app) == "trading resumed", what="resume outcome")
        assert str((await asyncio.to_thread(ask, daemon, Status())).trading_state) == "active"

        daemon.kill()  # one daemon start less than a test of its own
        await until(pilot, lambda: "DISCONNECTED since 01:00:00 UTC" in text_of(app, "#state-bar"),
                    what="disconnected shown")
        await asyncio.to_thread(daemon.start)
        await attached(pilot, app, count=2)
        assert "ACTIVE" in text_of(app, "#state-bar")
        assert "connected since" in text_of(app, "#state-bar")

    run(monitor_app(daemon.socket), scenario)
