"""The answer box of the open ticket: its editor, its modes and the decision keys.

The decision keys live here, not on the pane, so they only ever act while the operator
is inside the opened ticket's box, never on whatever row happens to be highlighted.
The box owns the modes (a reason beside approve/reject, an answer, an edit of the
arguments, raw JSON, a breakpoint's state update) and turns keys and text into a
`Decision`; it sends nothing itself: it posts `Decided`, and the pane checks, confirms
and sends.
"""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import LoadingIndicator, Static, TextArea

from hitl_tui.console.render import plain
from hitl_tui.console.ticket import current_args
from hitl_tui.hitl.jsonsafe import dumps
from hitl_tui.hitl.kinds import (
    APPROVE,
    CONTINUE,
    EDIT,
    JSON,
    REJECT,
    RESPOND,
    Decision,
    allowed_decisions,
)

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
    """The open ticket's answer: `open` it on a ticket, `close` it when the ticket goes."""

    BINDINGS = [
        Binding(SEND_KEY, "decide('send')", "Send", priority=True),
        Binding(APPROVE_KEY, "decide('approve')", "Approve", priority=True),
        Binding(REJECT_KEY, "decide('reject')", "Reject", priority=True),
        Binding(EDIT_KEY, "decide('edit')", "Edit args", priority=True),
        Binding(JSON_KEY, "decide('json')", "JSON", priority=True, show=False),
        Binding("escape", "decide('leave')", "Back", priority=True),
    ]

    class Decided(Message):
        """The operator decided: `decision` is what to send, not yet checked."""

        def __init__(self, decision: Decision) -> None:
            super().__init__()
            self.decision = decision

    class Left(Message):
        """Esc outside an edit: the operator goes back to the inbox."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item: Any = None
        self.allowed: tuple[str, ...] = ()
        self.mode = RESPOND
        self.busy = False
        self._confirm_empty = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="answer-header"):
            yield Static("", id="answer-help")
            yield LoadingIndicator(id="resume-busy")
        yield AnswerEditor(id="answer", compact=True)
        yield Static("", id="answer-status")

    def on_mount(self) -> None:
        self.query_one("#resume-busy").display = False

    @property
    def base_mode(self) -> str:
        return base_mode(self.allowed)

    @property
    def text(self) -> str:
        return self.query_one(AnswerEditor).text

    def open(self, item: Any) -> None:
        """Answer `item`: its own decisions, in the mode it opens in, with nothing typed."""
        self.item = item
        self.allowed = allowed_decisions(item)
        self._confirm_empty = False
        self.show_mode(self.base_mode)
        self.set_status("")
        self.set_busy(False)
        self.display = True

    def close(self) -> None:
        self.item = None
        self.display = False
        self.query_one(AnswerEditor).text = ""
        self.set_status("")

    def focus_editor(self) -> None:
        """Focus the editor now, not after the queued events (what `focus()` does): keys
        typed in the same burst as the Enter that opened the ticket belong to the answer,
        not to the inbox's one-letter bindings."""
        self.screen.set_focus(self.query_one(AnswerEditor))

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
        if self.item is None or self.busy:
            return
        editing = self.mode in (EDIT, JSON) and self.mode != self.base_mode
        if what == "leave":
            if editing:
                self.show_mode(self.base_mode)
                self.set_status(plain("Edit cancelled; nothing was sent.", "yellow"))
            else:
                self.post_message(self.Left())
        elif what == "edit":
            self.show_mode(EDIT, dumps(current_args(self.item), indent=2))
            self.set_status("")
        elif what == "json":
            self.show_mode(JSON)
            self.set_status("")
        elif what == "reject":
            if editing:
                self.set_status(_finish_edit_first())
            else:
                self._decided(Decision(REJECT, text=self.text.strip() or None))
        elif what == "approve" and self.mode == JSON:
            self.set_status(_finish_edit_first())
        elif what == "approve" and self.mode != EDIT:
            self._decided(Decision(APPROVE))
        else:  # send, or approve while editing: approving an edit is the edit decision
            self._send_text(self.text)

    def _send_text(self, text: str) -> None:
        """ctrl+s: what the text means depends on the mode."""
        if self.mode == REASON and RESPOND in self.allowed and text.strip():
            self._decided(Decision(RESPOND, text=text))
            return
        if self.mode == REASON:
            self.set_status(
                plain(
                    "Decide with ctrl+o (approve) or ctrl+r (reject); ctrl+e edits the "
                    "arguments, ctrl+t writes raw JSON.",
                    "yellow",
                )
            )
            return
        if self.mode == RESPOND:
            if not text.strip() and not self._confirm_empty:
                self._confirm_empty = True
                self.set_status(
                    plain("The answer is empty. Press ctrl+s again to send it anyway.", "yellow")
                )
                return
            self._decided(Decision(RESPOND, text=text))
            return
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            self.set_status(
                plain(
                    f"Not sent: invalid JSON: {error.msg} at line {error.lineno}"
                    f" column {error.colno}. Fix it, or Esc to cancel the edit.",
                    "bold red",
                )
            )
            return
        if self.mode == EDIT:
            self._decided(Decision(EDIT, args=value))
        elif self.mode == CONTINUE:  # a breakpoint: the JSON is an optional state update
            self._decided(Decision(CONTINUE, value=value or None))
        else:
            self._decided(Decision(JSON, value=value))

    def _decided(self, decision: Decision) -> None:
        self._confirm_empty = False
        self.post_message(self.Decided(decision))

    def show_mode(self, mode: str, text: str | None = None) -> None:
        """Switch the editor to `mode`, with `text` in it (JSON modes start from an empty
        object, text modes from nothing), and say which keys apply."""
        if text is None:
            text = "{}" if mode in (JSON, CONTINUE) else ""
        self.mode = mode
        allowed = self.allowed
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
        self.busy = busy
        self.query_one("#resume-busy").display = busy


def base_mode(allowed: tuple[str, ...]) -> str:
    """Where a ticket opens: a text answer, a breakpoint's optional state update, a reason
    beside approve/reject, or JSON."""
    if APPROVE in allowed or REJECT in allowed:
        return REASON  # a decision key decides; text typed is a reason (or an answer)
    if RESPOND in allowed:
        return RESPOND
    if CONTINUE in allowed:
        return CONTINUE
    return JSON


def _finish_edit_first() -> Any:
    return plain(
        "Finish the edit first: ctrl+s sends it (after a confirmation), Esc cancels it.",
        "bold yellow",
    )


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
