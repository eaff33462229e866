"""Keys trigger the right requests, after a confirmation; cancelling a dialog sends nothing; the outcome,
a refusal or a risk-guard denial is shown. Against the fake daemon."""

from __future__ import annotations

from decimal import Decimal

from tests.monitor.monitor_harness import attached, monitor_app, outcome, run, text_of, until
from tradloopd.model import OrderType, Side
from tradloopd.protocol import (
    Cancel,
    Equity,
    Error,
    Fills,
    Flatten,
    Halt,
    Orders,
    Positions,
    Resume,
    Status,
    Submit,
    Subscribe,
)

COMMANDS = (Halt, Resume, Flatten, Cancel, Submit)


def commands(fake) -> list:  # type: ignore[no-untyped-def]
    return [r for r in fake.requests if isinstance(r, COMMANDS)]


def test_attach_subscribes_first_then_asks_for_snapshots(fake):
    async def scenario(pilot, app):
        await attached(pilot, app)
        kinds = [type(r) for r in fake.requests]
        assert kinds[0] is Subscribe
        assert set(fake.requests[0].topics) >= {"orders", "fills", "positions", "equity", "logs", "status"}
        assert {Status, Positions, Orders, Fills, Equity} <= set(kinds[1:])
        assert "ACTIVE" in text_of(app, "#state-bar")
        assert "connected since 01:00:00 UTC" in text_of(app, "#state-bar")
        assert app.screen_stack[0].query_one("#dash-positions").row_count == 2
        assert app.screen_stack[0].query_one("#dash-orders").row_count == 3  # the working ones

    run(monitor_app(fake.path), scenario)


def test_halt_asks_for_a_reason_then_halts(fake):
    async def scenario(pilot, app):
        await attached(pilot, app)
        await pilot.press("h")
        await until(pilot, lambda: app.screen.id != "_default" and app.screen.query("#reason"), what="dialog")
        app.screen.query_one("#reason").value = ""
        await pilot.press(*"news at 14:30", "enter")
        await until(pilot, lambda: fake.of_type(Halt), what="halt sent")
        assert fake.of_type(Halt)[0].reason == "news at 14:30"
        await until(pilot, lambda: "halted" in outcome(app), what="outcome")
        assert outcome(app) == "trading halted: news at 14:30"

    run(monitor_app(fake.path), scenario)


def test_no_in_a_confirmation_sends_nothing(fake):
    async def scenario(pilot, app):
        await attached(pilot, app)
        for key, answer in (("F", "n"), ("X", "escape"), ("r", "n"), ("x", "n"), ("f", "escape")):
            await pilot.press(key)
            await until(pilot, lambda: len(app.screen_stack) == 2, what=f"dialog for {key}")
            await pilot.press(answer)
            await until(pilot, lambda: len(app.screen_stack) == 1, what="dialog closed")
            await until(pilot, lambda: "cancelled: nothing sent" in outcome(app), what="cancel outcome")
        await pilot.press("h")
        await until(pilot, lambda: len(app.screen_stack) == 2, what="halt dialog")
        await pilot.press("escape")
        await until(pilot, lambda: outcome(app) == "halt cancelled: nothing sent", what="halt cancelled")
        await pilot.pause(0.1)
        assert commands(fake) == []

    run(monitor_app(fake.path), scenario)


def test_yes_sends_flatten_cancel_and_resume(fake):
    async def scenario(pilot, app):
        await attached(pilot, app)
        sent = [
            ("f", Flatten(symbol="BTC/USDT")),  # the dashboard's first position
            ("F", Flatten()),
            ("x", Cancel(client_order_id="paper-2")),  # the first working order
            ("X", Cancel(all=True)),
            ("r", Resume()),
        ]
        for key, request in sent:
            before = len(commands(fake))
            await pilot.press(key)
            await until(pilot, lambda: len(app.screen_stack) == 2, what=f"dialog for {key}")
            await pilot.press("y")
            await until(pilot, lambda before=before: len(commands(fake)) > before, what=f"request for {key}")
            assert commands(fake)[-1] == _with_id(request, commands(fake)[-1].id)
        await until(pilot, lambda: outcome(app) == "trading resumed", what="resume outcome")

    run(monitor_app(fake.path), scenario)


def test_flatten_one_uses_the_selected_position(fake):
    async def scenario(pilot, app):
        await attached(pilot, app)
        await pilot.press("4")
        app.redraw(force=True)
        await pilot.pause()
        table = app.screen_stack[0].query_one("#positions-table")
        table.focus()
        table.move_cursor(row=1)
        await pilot.press("f")
        await until(pilot, lambda: len(app.screen_stack) == 2, what="dialog")
        assert "ETH/USDT" in str(app.screen.query_one(".dialog-title").render())
        await pilot.press("y")
        await until(pilot, lambda: fake.of_type(Flatten), what="flatten sent")
        assert fake.of_type(Flatten)[0].symbol == "ETH/USDT"
        await until(pilot, lambda: "flatten ETH/USDT: canceled 2 order(s), submitted 1" in outcome(app))

    run(monitor_app(fake.path), scenario)


def test_a_refusal_is_shown(fake):
    fake.refuse[Resume] = Error(id=None, code="denied", message="the daily loss limit holds until 00:00 UTC")

    async def scenario(pilot, app):
        await attached(pilot, app)
        await pilot.press("r")
        await until(pilot, lambda: len(app.screen_stack) == 2, what="dialog")
        await pilot.press("y")
        await until(pilot, lambda: "refused" in outcome(app), what="refusal shown")
        assert outcome(app) == "resume refused: the daily loss limit holds until 00:00 UTC"
        assert app.screen_stack[0].query_one("#outcome").has_class("-error")

    run(monitor_app(fake.path), scenario)


def test_manual_order_denied_by_the_risk_guard_shows_the_reason(fake):
    fake.deny_submit = "order notional 61000 above the maximum 50000"

    async def scenario(pilot, app):
        await attached(pilot, app)
        await pilot.press("n")
        await until(pilot, lambda: app.screen.query("#f-quantity"), what="order form")
        assert app.screen.query_one("#f-symbol").value == "BTC/USDT"  # the selected position
        await pilot.press(*"1", "ctrl+s")
        await until(pilot, lambda: app.screen.query(".dialog-detail"), what="confirmation")
        assert str(app.screen.query_one(".dialog-detail").render()) == "BUY MARKET 1 BTC/USDT gtc"
        await pilot.press("y")
        await until(pilot, lambda: "denied" in outcome(app), what="denial shown")
        assert outcome(app) == ("order paper-100 denied by the risk guard: "
                                "order notional 61000 above the maximum 50000")
        [submit] = fake.of_type(Submit)
        assert (submit.symbol, submit.side, submit.kind, submit.quantity) == (
            "BTC/USDT", Side.BUY, OrderType.MARKET, Decimal("1"))

    run(monitor_app(fake.path), scenario)


def test_order_form_refuses_an_invalid_order_and_sends_nothing(fake):
    async def scenario(pilot, app):
        await attached(pilot, app)
        await pilot.press("n")
        await until(pilot, lambda: app.screen.query("#f-kind"), what="order form")
        form = app.screen
        form.query_one("#f-kind").value = "limit"
        await pilot.press(*"0.5", "ctrl+s")
        await pilot.pause()
        assert str(form.query_one("#form-problem").render()) == "limit order needs limit price"
        assert form.query_one("#f-price").has_class("-invalid-field")
        assert len(app.screen_stack) == 2  # still on the form
        form.query_one("#f-price").value = "abc"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert str(form.query_one("#form-problem").render()) == "limit price: Invalid decimal string"
        assert form.query_one("#f-price").has_class("-invalid-field")
        await pilot.press("escape")
        await until(pilot, lambda: outcome(app) == "order cancelled: nothing sent", what="cancelled")
        assert fake.of_type(Submit) == []

    run(monitor_app(fake.path), scenario)


def test_actions_refuse_while_disconnected(short_dir):
    async def scenario(pilot, app):
        await until(pilot, lambda: app.state.link.reason != "connecting", what="first attempt")
        await pilot.press("F")
        await pilot.pause()
        assert len(app.screen_stack) == 1  # no dialog: nothing could be sent
        assert outcome(app).startswith("flatten: not connected to the daemon (no daemon at")

    run(monitor_app(short_dir / "control.sock"), scenario)


def _with_id(request, request_id):  # type: ignore[no-untyped-def]
    import msgspec

    return msgspec.structs.replace(request, id=request_id)
