"""The confirmation dialogs every destructive action goes through: yes/no, and halt with a reason."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask before doing `action`; dismisses with True only on an explicit yes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, detail: str, *, confirm: str = "Yes") -> None:
        super().__init__(classes="confirm")
        self._title, self._detail, self._confirm = title, detail, confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._title, classes="dialog-title")
            yield Static(self._detail, classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self._confirm} (y)", variant="error", id="yes")
                yield Button("No (n)", variant="default", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # Enter on the default button does nothing harmful

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class HaltScreen(ModalScreen[str | None]):
    """Ask for the reason of a halt (kept as the daemon's `state_reason`); None when cancelled."""

    def __init__(self) -> None:
        super().__init__(classes="confirm")

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_REASON = "halted from the monitor"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Halt trading?", classes="dialog-title")
            yield Static("No new orders; working orders stay. Reason:", classes="dialog-detail")
            yield Input(self.DEFAULT_REASON, max_length=200, id="reason", compact=True)
            yield Static("", id="halt-problem", classes="form-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Halt (enter)", variant="error", id="yes")
                yield Button("Cancel (esc)", variant="default", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "yes":
            self._submit()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def _submit(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.query_one("#halt-problem", Static).update("a reason is required")
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        self.dismiss(None)
