"""The confirmation before a decision that cannot be taken back: it restates what will
happen with the final arguments, and needs a second, different key."""

from __future__ import annotations

import difflib
from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from hitl_tui.console.render import json_view, plain
from hitl_tui.hitl.decision_text import tool_of
from hitl_tui.hitl.jsonsafe import dumps
from hitl_tui.hitl.kinds import APPROVE, CONTINUE, EDIT, JSON, Decision, kind_named

CONFIRM_KEY = "y"
VERBS = {
    APPROVE: "Approve",
    EDIT: "Approve with your edit",
    JSON: "Send this JSON answer",
    CONTINUE: "Continue the run",
}


class ConfirmDecision(ModalScreen[bool]):
    """Answers True only for the confirm key; Esc or n answers False."""

    DEFAULT_CSS = """
    ConfirmDecision { align: center middle; }
    ConfirmDecision > Vertical {
        width: 90%; max-width: 100; height: auto; max-height: 90%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    ConfirmDecision #confirm-body { height: auto; max-height: 1fr; }
    ConfirmDecision #confirm-keys { height: auto; color: $text; text-style: bold; }
    """

    BINDINGS = [
        Binding(CONFIRM_KEY, "confirm", "Confirm"),
        Binding("escape,n", "cancel", "Cancel"),
    ]

    def __init__(self, item: Any, decision: Decision, before: Any) -> None:
        super().__init__()
        self.item = item
        self.decision = decision
        self.before = before

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll(id="confirm-body"):
                yield Static(restatement(self.item, self.decision, self.before))
            verb = VERBS.get(self.decision.action, "Send")
            yield Static(
                Text.assemble(
                    (f"{CONFIRM_KEY}", "reverse"),
                    f" {verb.lower()} — this cannot be undone   ",
                    ("Esc", "reverse"),
                    " cancel",
                ),
                id="confirm-keys",
            )

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


def restatement(item: Any, decision: Decision, before: Any) -> Group:
    """What the graph will be told to do, in the operator's words, then the exact values."""
    kind = kind_named(item.kind)
    verb = VERBS.get(decision.action, "Send")
    parts: list[Any] = [
        Text.assemble(
            (f"{verb}? ", "bold"),
            ("ticket ", "dim"),
            plain(item.thread_id, "bold"),
            ("  ", ""),
            plain(item.kind, "cyan"),
        ),
        plain(kind.summary(item.value), "bold"),
    ]
    tool = tool_of(item.value, item.tool_calls)
    if tool:
        parts.append(Text.assemble(("The agent will run ", "dim"), plain(tool, "magenta")))
    if decision.action == APPROVE:
        parts.append(Text("with these arguments:", style="dim"))
        parts.append(json_view(before))
    elif decision.action == EDIT:
        parts.append(Text("with your edit (- was, + now):", style="dim"))
        parts.append(diff_view(before, decision.args))
    elif decision.action == CONTINUE:
        update = decision.value
        words = "with this state update first:" if update else "with no change to its state"
        parts.append(Text(words, style="dim"))
        if update:
            parts.append(json_view(update))
    else:
        parts.append(Text("The graph resumes with exactly this value:", style="dim"))
        parts.append(json_view(decision.value))
    return Group(*parts)


def diff_view(before: Any, after: Any) -> Text:
    """A line diff of the two JSON values; unchanged lines stay for context."""
    old = dumps(before, indent=2).splitlines()
    new = dumps(after, indent=2).splitlines()
    out = Text()
    for line in difflib.ndiff(old, new):
        tag, body = line[:1], line[2:]
        if tag == "?":
            continue
        style = {"-": "red", "+": "green"}.get(tag, "dim")
        out.append_text(plain(f"{tag if tag != ' ' else ' '} {body}\n", style))
    if old == new:
        out.append_text(plain("(no change from the original)", "yellow"))
    return out


class ConfirmTakeover(ModalScreen[bool]):
    """Before answering over an interrupted attempt: its action may have partly run."""

    DEFAULT_CSS = """
    ConfirmTakeover { align: center middle; }
    ConfirmTakeover > Vertical {
        width: 90%; max-width: 100; height: auto; border: thick $error;
        background: $surface; padding: 0 1;
    }
    """

    BINDINGS = [
        Binding(CONFIRM_KEY, "confirm", "Take over"),
        Binding("escape,n", "cancel", "Cancel"),
    ]

    def __init__(self, sentence: str) -> None:
        super().__init__()
        self.sentence = sentence

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.sentence, "bold"), id="takeover-body")
            yield Static(
                Text.assemble(
                    (f"{CONFIRM_KEY}", "reverse"),
                    " take over and send your decision (audited as forced)   ",
                    ("Esc", "reverse"),
                    " cancel",
                ),
                id="takeover-keys",
            )

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
