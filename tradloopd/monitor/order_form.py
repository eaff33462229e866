"""The manual order form: fields checked as you type by the protocol's own rules, sent through the risk guard.

`parse_order` turns the form's text into a `Submit` request with exactly the checks the daemon applies
(`msgspec.convert` runs the request's constraints and its `__post_init__`), so an order the form
accepts is never refused as `bad_request`. The risk guard's verdict comes back as the result.
"""

from __future__ import annotations

import re
from typing import ClassVar

import msgspec
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from tradloopd.model import OrderType, Side, TimeInForce
from tradloopd.monitor.text import amount
from tradloopd.protocol import Submit

AMOUNT_FIELDS = ("quantity", "notional", "price", "trigger_price", "stop_loss", "take_profit")
AMOUNT_HINTS = ("base units", "quote (market buy)", "limit, stop-limit", "stop, stop-limit", "optional",
                "optional")
LABELS = {
    "symbol": "symbol", "side": "side", "kind": "type", "quantity": "quantity", "notional": "notional",
    "price": "limit price", "trigger_price": "trigger", "tif": "tif", "stop_loss": "stop-loss",
    "take_profit": "take-profit", "tag": "tag", "post_only": "post-only", "reduce_only": "reduce-only",
}
_PATH = re.compile(r" - at `\$\.(\w+)`")


class OrderFormError(ValueError):
    """The form's text is not a valid order: `field` (or "" for a rule across fields) and why."""

    def __init__(self, field: str, message: str, *, hint: str = "") -> None:
        super().__init__(f"{LABELS.get(field, field)}: {message}" if field else message)
        self.field = field
        self.highlight = field or hint  # the field to mark in the form


def parse_order(fields: dict[str, str | bool]) -> Submit:
    """The `Submit` request for the form's values; raises OrderFormError naming the field."""
    raw: dict[str, object] = {}
    for name, value in fields.items():
        cleaned = value.strip() if isinstance(value, str) else value
        if cleaned != "":
            raw[name] = cleaned
    if "symbol" not in raw:
        raise OrderFormError("symbol", "required")
    if ("quantity" in raw) == ("notional" in raw):
        raise OrderFormError("quantity", "give a quantity or a notional, not both")
    try:
        return msgspec.convert(raw, Submit)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = _PATH.search(message)
        if match:
            raise OrderFormError(match.group(1), _PATH.sub("", message)) from None
        raise OrderFormError("", message, hint=_field_named(message)) from None


def _field_named(message: str) -> str:
    """The field a rule across fields talks about, to highlight it (`limit order needs limit price`)."""
    for words, field in _HINTS:
        if words in message:
            return field
    return ""


_HINTS = (("limit price", "price"), ("trigger", "trigger_price"), ("notional", "notional"),
          ("post-only", "post_only"), ("post_only", "post_only"), ("reduce", "reduce_only"),
          ("stop_loss", "stop_loss"), ("take_profit", "take_profit"), ("price", "price"),
          ("quantity", "quantity"))


def describe(submit: Submit) -> str:
    """One line naming the order, for the confirmation: `BUY LIMIT 0.5 BTC/USDT @ 59000 gtc`."""
    size = amount(submit.quantity) if submit.quantity is not None else f"{amount(submit.notional)} notional"
    parts = [str(submit.side).upper(), str(submit.kind).upper().replace("_", "-"), size, submit.symbol]
    if submit.price is not None:
        parts.append(f"@ {amount(submit.price)}")
    if submit.trigger_price is not None:
        parts.append(f"trigger {amount(submit.trigger_price)}")
    parts.append(str(submit.tif))
    flags = [name for name in ("post_only", "reduce_only") if getattr(submit, name)]
    parts += [LABELS[name] for name in flags]
    if submit.stop_loss is not None:
        parts.append(f"SL {amount(submit.stop_loss)}")
    if submit.take_profit is not None:
        parts.append(f"TP {amount(submit.take_profit)}")
    return " ".join(parts)


class OrderForm(ModalScreen[Submit | None]):
    """A compact form (fits 80x24); dismisses with the checked request, or None on escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "send", "Send")]

    def __init__(self, symbols: list[str], *, symbol: str = "") -> None:
        super().__init__(classes="order-form")
        self._symbols = symbols
        self._symbol = symbol or (symbols[0] if symbols else "")

    def compose(self) -> ComposeResult:
        def text(name: str, value: str = "", placeholder: str = "") -> Input:
            return Input(value, placeholder=placeholder, id=f"f-{name}", compact=True)

        with Vertical(classes="dialog"):
            yield Label("New order (through the risk guard)", classes="dialog-title")
            with Grid(classes="form-grid"):
                yield Label(LABELS["symbol"])
                yield Input(self._symbol, id="f-symbol", compact=True,
                            suggester=SuggestFromList(self._symbols, case_sensitive=False))
                yield Label(LABELS["side"])
                yield Select([(s.value, s.value) for s in Side], value=Side.BUY.value, allow_blank=False,
                             id="f-side", compact=True)
                yield Label(LABELS["kind"])
                yield Select([(k.value, k.value) for k in OrderType], value=OrderType.MARKET.value,
                             allow_blank=False, id="f-kind", compact=True)
                yield Label(LABELS["tif"])
                yield Select([(t.value, t.value) for t in TimeInForce if t is not TimeInForce.GTD],
                             value=TimeInForce.GTC.value, allow_blank=False, id="f-tif", compact=True)
                for name, hint in zip(AMOUNT_FIELDS, AMOUNT_HINTS, strict=True):
                    yield Label(LABELS[name])
                    yield text(name, placeholder=hint)
                yield Label(LABELS["tag"])
                yield text("tag", "manual")
            with Horizontal(classes="form-flags"):
                yield Checkbox(LABELS["post_only"], id="f-post_only", compact=True)
                yield Checkbox(LABELS["reduce_only"], id="f-reduce_only", compact=True)
            yield Static("", id="form-problem", classes="form-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Review (ctrl+s)", variant="primary", id="send")
                yield Button("Cancel (esc)", variant="default", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#f-quantity", Input).focus()

    def values(self) -> dict[str, str | bool]:
        fields: dict[str, str | bool] = {}
        for name in ("symbol", *AMOUNT_FIELDS, "tag"):
            fields[name] = self.query_one(f"#f-{name}", Input).value
        for name in ("side", "kind", "tif"):
            fields[name] = str(self.query_one(f"#f-{name}", Select).value)
        for name in ("post_only", "reduce_only"):
            fields[name] = self.query_one(f"#f-{name}", Checkbox).value
        return fields

    def problem(self) -> OrderFormError | None:
        try:
            parse_order(self.values())
        except OrderFormError as exc:
            return exc
        return None

    def on_input_changed(self) -> None:
        self._show_problem()

    def on_select_changed(self) -> None:
        self._show_problem()

    def _show_problem(self) -> OrderFormError | None:
        problem = self.problem()
        line = self.query_one("#form-problem", Static)
        if problem is None:
            line.update("ready: ctrl+s to review")
            line.set_class(False, "-bad")
        else:
            line.update(str(problem))
            line.set_class(True, "-bad")
        for name in LABELS:
            for widget in self.query(f"#f-{name}"):
                widget.set_class(problem is not None and problem.highlight == name, "-invalid-field")
        return problem

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_send()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "send":
            self.action_send()
        else:
            self.dismiss(None)

    def action_send(self) -> None:
        if self._show_problem() is None:
            self.dismiss(parse_order(self.values()))

    def action_cancel(self) -> None:
        self.dismiss(None)
