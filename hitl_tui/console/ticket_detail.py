"""The ticket under the cursor, or the opened one: a one-line head, then the ticket decoded.

The head is reactive: set `head` (which ticket, opened or not, whose claim) and it redraws;
`tick` redraws it with a new age. The body is drawn once the ticket's thread is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from hitl_tui.console.render import json_view, plain
from hitl_tui.hitl.humanize import age
from hitl_tui.hitl.kinds import kind_named
from hitl_tui.hitl.listing import summary_of
from hitl_tui.hitl.presentation import ROLE_COLOURS, decision_line

PROMPT = "Select a ticket and press Enter to answer it."


@dataclass(frozen=True)
class Head:
    """What the head line says: `item` (the ticket as last read), whether the operator
    opened it, and whether they hold its claim."""

    key: str
    item: Any
    opened: bool = False
    mine: bool = False


class TicketDetail(VerticalScroll):
    head: reactive[Head | None] = reactive(None, always_update=True, init=False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.claimed_by: str | None = None  # the claim holder when the body was drawn

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-head")
        yield Static(plain(PROMPT, "dim"), id="detail-body")

    def on_mount(self) -> None:
        self.query_one("#detail-head").display = False

    @property
    def key(self) -> str | None:
        """The ticket the head describes."""
        return self.head.key if self.head is not None else None

    def watch_head(self, head: Head | None) -> None:
        self.tick(self.app.clock())

    def tick(self, now: datetime) -> None:
        """The ticket's one-line header; redrawn every second so its age is never stale."""
        line = self.query_one("#detail-head", Static)
        head = self.head
        if head is None or head.item is None:
            line.display = False
            return
        item = head.item
        line.update(
            Text.assemble(
                ("▶ " if head.opened else "", "bold"),
                plain(item.thread_id, "bold"),
                "  ",
                plain(item.kind, "cyan"),
                ("  waiting " + age(item.age_seconds(now)), "dim"),
                "  ",
                _claim_words(head),
            )
        )
        line.display = True

    def show_ticket(self, item: Any, snapshot: Any, history: list[dict]) -> None:
        self.claimed_by = item.claimed_by
        body = ticket_body(item, snapshot, history, width=self.size.width - 4)
        self.query_one("#detail-body", Static).update(body)

    def show_note(self, note: Any) -> None:
        """No ticket described: `note` (what just happened) takes its place."""
        self.head = None
        self.claimed_by = None
        self.query_one("#detail-body", Static).update(note)


def _claim_words(head: Head) -> Text:
    if head.mine:
        return plain("claimed by you", "green")
    if head.item.claimed_by:
        return plain(f"claimed by {head.item.claimed_by}", "yellow")
    return plain("not claimed" if head.opened else "Enter opens it", "dim")


def ticket_body(item: Any, snapshot: Any, history: list[dict], width: int) -> Group:
    """The decision first (what is asked, which tool with which arguments), then the
    context: the raw payload, the conversation, earlier decisions."""
    kind = kind_named(item.kind)
    parts: list[Any] = [plain(summary_of(item), "bold")]
    attempt = getattr(item, "interrupted_attempt", None)
    if isinstance(attempt, dict):
        from hitl_tui.hitl.claims import interrupted_sentence

        parts.append(plain(f"⚠ {interrupted_sentence(attempt)}.", "bold red"))
    args_shown = None
    for call in item.tool_calls:
        parts.append(Text.assemble(("Tool ", "dim"), plain(call.get("name"), "magenta")))
        parts.append(json_view(call.get("args"), width=width))
        args_shown = call.get("args")
    editable = kind.editable(item.value)
    inside_args = isinstance(args_shown, dict) and editable in args_shown.values()
    if editable is not None and editable != args_shown and not inside_args:
        label = "Steps" if isinstance(editable, list) else "Arguments to approve"
        parts.append(Text(label, style="dim"))
        parts.append(json_view(editable))
    if kind.description:
        parts.append(plain(kind.description, "dim italic"))
    parts.append(Text("\nInterrupt payload", style="bold"))
    parts.append(json_view(item.value))
    if snapshot is not None:
        parts.append(Text("\nConversation", style="bold"))
        parts.extend(_conversation(snapshot))
    if history:
        parts.append(Text("\nDecisions (h for the full history)", style="bold"))
        for entry in history:
            parts.append(plain(decision_line(entry), "dim"))
    return Group(*parts)


def _conversation(snapshot: Any) -> list[Text]:
    # A snapshot means LangGraph is loaded; the inbox paints before it is.
    from hitl_tui.hitl.snapshot import message_as_json, message_text

    lines = []
    for message in snapshot.messages:
        data = message_as_json(message)
        text = message_text(message) or ""
        if data["tool_calls"]:
            calls = ", ".join(str(c["name"]) for c in data["tool_calls"])
            text = f"{text} → {calls}".strip()
        style = ROLE_COLOURS.get(data["role"], "dim")
        lines.append(Text.assemble((f"{data['role']}: ", f"bold {style}"), plain(text)))
    for problem in snapshot.problems:
        lines.append(plain(f"! {problem}", "red"))
    return lines
