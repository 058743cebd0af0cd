"""The answer box of the open ticket: its editor and the decision keys.

The decision keys live here, not on the pane, so they only ever act while the operator
is inside the opened ticket's box, never on whatever row happens to be highlighted.
The box decides nothing itself: it tells the pane what was asked for with a message.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import LoadingIndicator, Static, TextArea

from hitl_tui.console.render import plain
from hitl_tui.hitl.kinds import APPROVE, CONTINUE, EDIT, JSON, REJECT, RESPOND

REASON = "reason"  # the editor holds an optional reason; the decision comes from a key
APPROVE_KEY, REJECT_KEY, EDIT_KEY, JSON_KEY, SEND_KEY = (
    "ctrl+o",
    "ctrl+r",
    "ctrl+e",
    "ctrl+t",
    "ctrl+s",
)
PLACEHOLDERS = {
    REASON: "Optional reason, sent only if you reject",
    RESPOND: "Your answer to the user…",
    EDIT: "The arguments as JSON",
    JSON: "The exact resume value as JSON",
    CONTINUE: "Optional state update as a JSON object ({} changes nothing)",
}


class AnswerEditor(TextArea):
    """The operator's text: an answer, a reason, or JSON, depending on the mode."""


class AnswerBox(Vertical):
    """`allowed` (the open ticket's decisions) and `mode` are set by the pane."""

    BINDINGS = [
        Binding(SEND_KEY, "decide('send')", "Send", priority=True),
        Binding(APPROVE_KEY, "decide('approve')", "Approve", priority=True),
        Binding(REJECT_KEY, "decide('reject')", "Reject", priority=True),
        Binding(EDIT_KEY, "decide('edit')", "Edit args", priority=True),
        Binding(JSON_KEY, "decide('json')", "JSON", priority=True, show=False),
        Binding("escape", "decide('leave')", "Back", priority=True),
    ]

    class Decided(Message):
        """A decision key was pressed: "send", "approve", "reject", "edit", "json" or
        "leave"."""

        def __init__(self, what: str) -> None:
            super().__init__()
            self.what = what

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allowed: tuple[str, ...] = ()
        self.mode = RESPOND

    def compose(self) -> ComposeResult:
        with Horizontal(id="answer-header"):
            yield Static("", id="answer-help")
            yield LoadingIndicator(id="resume-busy")
        yield AnswerEditor(id="answer", compact=True)
        yield Static("", id="answer-status")

    def on_mount(self) -> None:
        self.query_one("#resume-busy").display = False

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Offer only what the open ticket allows. While editing, the edit and JSON keys
        go to the editor (ctrl+e is end-of-line there)."""
        if action != "decide" or not parameters:
            return True
        what = parameters[0]
        if what == "approve":
            return APPROVE in self.allowed
        if what == "reject":  # shown greyed while editing: finish or cancel the edit first
            return REJECT in self.allowed and (self.mode not in (EDIT, JSON) or None)
        if what in ("edit", "json"):
            needed = EDIT if what == "edit" else JSON
            return needed in self.allowed and self.mode != EDIT
        return True

    def action_decide(self, what: str) -> None:
        self.post_message(self.Decided(what))

    def show_mode(self, mode: str, allowed: tuple[str, ...], text: str) -> None:
        """Switch the editor to `mode`, with `text` in it, and say which keys apply."""
        self.mode = mode
        self.allowed = allowed
        editor = self.query_one(AnswerEditor)
        editor.text = text
        editor.placeholder = PLACEHOLDERS[mode]
        if mode == REASON and RESPOND in allowed:
            editor.placeholder = "A reason if you reject, or an answer to send with ctrl+s"
        editor.set_class(mode == REASON, "reason")
        self.query_one("#answer-help", Static).update(plain(hint_line(mode, allowed), "dim"))
        self.app.refresh_bindings()

    def set_status(self, text: Any) -> None:
        status = self.query_one("#answer-status", Static)
        status.update(text)
        status.display = bool(getattr(text, "plain", text))

    def set_busy(self, busy: bool) -> None:
        self.query_one("#resume-busy").display = busy


def hint_line(mode: str, allowed: tuple[str, ...]) -> str:
    """The keys of this mode, shortest words first; the line wraps, it is never cut."""
    if mode == EDIT:
        return f"editing the arguments · {SEND_KEY} send the edit · Esc cancel the edit"
    if mode == JSON:
        return f"raw JSON answer · {SEND_KEY} send · Esc back"
    if mode == CONTINUE:
        return f"paused at a breakpoint · {SEND_KEY} continue (the JSON updates the state first)"
    keys = []
    if mode == RESPOND or (mode == REASON and RESPOND in allowed):
        keys.append(f"{SEND_KEY} send the text as the answer")
    if APPROVE in allowed:
        keys.append(f"{APPROVE_KEY} approve")
    if REJECT in allowed:
        keys.append(f"{REJECT_KEY} reject (text = reason)")
    if EDIT in allowed:
        keys.append(f"{EDIT_KEY} edit args")
    keys.append("Esc inbox")
    return " · ".join(keys)
