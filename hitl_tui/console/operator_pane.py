"""The operator's pane: the inbox, the selected ticket decoded, and the answer editor."""

from __future__ import annotations

import gc
import json
from typing import Any

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, LoadingIndicator, Static, TextArea

from hitl_tui.console.inbox_table import InboxTable
from hitl_tui.console.messages import (
    ChangesSeen,
    ClaimResult,
    ConnectionBack,
    ConnectionLost,
    DetailLoaded,
    InboxRefreshed,
    ResumeFailed,
    ResumeFinished,
)
from hitl_tui.console.render import json_view, plain
from hitl_tui.hitl.humanize import age
from hitl_tui.hitl.kinds import (
    APPROVE,
    CONTINUE,
    EDIT,
    JSON,
    REJECT,
    RESPOND,
    Decision,
    allowed_decisions,
    kind_named,
)
from hitl_tui.hitl.snapshot import message_as_json, message_text

REASON = "reason"  # the editor holds an optional reason; the decision comes from a key
MODE_HELP = {
    REASON: "the text below is the reason if you reject",
    RESPOND: "answer as text · ctrl+s send",
    EDIT: "edit the arguments as JSON · ctrl+s send",
    JSON: "write the resume value as JSON · ctrl+s send",
    CONTINUE: "paused at a breakpoint · ctrl+s continue (JSON below updates the state first)",
}


BIG_INBOX = 500
DECODE_BATCH = 400  # new tickets decoded per refresh: thousands appear oldest first
DETAIL_DELAY = 0.12  # seconds the cursor rests before the ticket's detail is loaded


class AnswerEditor(TextArea):
    """The operator's answer; sending is bound on the pane with priority."""


class OperatorPane(Vertical):
    """Everything an operator needs for one ticket at a time, with the inbox always in view."""

    BINDINGS = [
        Binding("ctrl+s", "send", "Send", priority=True),
        Binding("ctrl+y", "approve", "Approve", priority=True),
        Binding("ctrl+r", "reject", "Reject", priority=True),
        Binding("ctrl+e", "edit_args", "Edit args", priority=True),
        Binding("ctrl+t", "json_mode", "JSON answer", priority=True, show=False),
        Binding("escape", "back_to_inbox", "Inbox", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hub: Any = None
        self.inbox: Any = None
        self.known: set[str] | None = None
        self.open_key: str | None = None
        self.claim: Any = None
        self.mode = RESPOND
        self.sending = False
        self._confirm_empty = False
        self._refresh_timer: Timer | None = None
        self._refresh_due = False
        self._refreshing = False
        self._detail_timer: Timer | None = None
        self._detail_claimed_by: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="inbox-header"):
            yield Label("Operator inbox", id="inbox-title")
            yield Label("", id="inbox-count")
        yield Input(placeholder="filter (thread, kind, text, operator) · Esc clears", id="filter")
        yield InboxTable(id="inbox")
        with VerticalScroll(id="detail"):
            yield Static(
                plain("Select a ticket and press Enter to answer it.", "dim"), id="detail-body"
            )
        with Vertical(id="answer-box"):
            with Horizontal(id="answer-header"):
                yield Label("", id="answer-help")
                yield LoadingIndicator(id="resume-busy")
            yield AnswerEditor(id="answer", placeholder="Your answer to the user…", compact=True)
            yield Static("", id="answer-status")

    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one("#resume-busy").display = False
        self.query_one("#answer-box").display = False
        self.set_interval(1.0, self._tick)
        self.set_interval(20.0, self._renew_claim)

    # -- refresh ---------------------------------------------------------------------
    def attach(self, hub: Any) -> None:
        from hitl_tui.hitl.inbox import Inbox

        self.hub = hub
        self.inbox = Inbox(hub.store)
        self.request_refresh()

    def request_refresh(self) -> None:
        """Refresh now, or right after the refresh in flight: refreshes never overlap."""
        if self.hub is None:
            return
        if self._refreshing:
            self._refresh_due = True
            return
        if self._refresh_timer is not None:
            self._refresh_timer.stop()
        self._refreshing = True
        self._refresh()

    @work(thread=True, exclusive=True, exit_on_error=False, group="inbox")
    def _refresh(self) -> None:
        try:
            items = self.inbox.refresh(decode_limit=DECODE_BATCH)
            self.post_message(ConnectionBack())
        except Exception as error:
            self.post_message(ConnectionLost(f"{type(error).__name__}: {error}"))
            items = None
        self.post_message(InboxRefreshed(items, self.inbox.complete))

    @on(InboxRefreshed)
    def _refreshed(self, event: InboxRefreshed) -> None:
        self._refreshing = False
        if event.items is not None:
            self._show_inbox(event.items)
        if self._refresh_due or not event.complete:
            self._refresh_due = False
            self.request_refresh()
        else:
            self._refresh_timer = self.set_timer(
                self.hub.settings.poll_seconds, self.request_refresh
            )

    def _show_inbox(self, items: list[Any]) -> None:
        if len(items) >= BIG_INBOX:
            # Thousands of freshly decoded tickets would make the next full garbage
            # collection pause the screen for ~100 ms; they live on, so stop scanning them.
            gc.freeze()
        table = self.query_one(InboxTable)
        table.show_items(items, self.app.clock())
        keys = {f"{i.thread_id}\x1f{i.interrupt_id}" for i in items}
        fresh = keys - self.known if self.known is not None else set()
        self.known = keys
        self.query_one("#inbox-count", Label).update(f"{len(items)} pending")
        if fresh:
            threads = sorted({k.split("\x1f")[0] for k in fresh})
            self.notify(f"New ticket: {', '.join(threads)[:80]}", title="Inbox", markup=False)
            if self.hub.settings.bell:
                self.app.bell()
        if self.open_key and self.open_key not in keys and not self.sending:
            self._set_status(
                Text("This ticket is no longer pending (answered elsewhere?).", style="yellow")
            )
        if table.row_count and table.selected_key and self.open_key is None:
            self._load_detail(table.selected_key)
        elif self.open_key in table.items and (
            table.items[self.open_key].claimed_by != self._detail_claimed_by
        ):
            self._load_detail(self.open_key)  # who holds the open ticket changed: show it

    # -- selection and detail ------------------------------------------------------
    @on(DataTable.RowHighlighted, "#inbox")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Load the detail once the cursor rests, so holding j stays instant."""
        if self.open_key is None and event.row_key is not None:
            if self._detail_timer is not None:
                self._detail_timer.stop()
            key = event.row_key.value
            self._detail_timer = self.set_timer(DETAIL_DELAY, lambda: self._load_detail(key))

    def _load_detail(self, key: str) -> None:
        if self.hub is not None:
            self._fetch_detail(key)

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def _fetch_detail(self, key: str) -> None:
        from hitl_tui.hitl import audit
        from hitl_tui.hitl.snapshot import load_snapshot

        thread_id = key.split("\x1f")[0]
        snapshot = load_snapshot(self.hub.store, thread_id)
        history = audit.history(self.hub.store, thread_id, limit=20)
        self.post_message(DetailLoaded(key, snapshot, history))

    @on(DetailLoaded)
    def _detail_loaded(self, event: DetailLoaded) -> None:
        item = self.query_one(InboxTable).items.get(event.key)
        if item is None and event.key != self.open_key:
            return
        self.query_one("#detail-body", Static).update(
            self._detail(item, event.snapshot, event.history)
        )

    def _detail(self, item: Any, snapshot: Any, history: list[dict]) -> Group:
        self._detail_claimed_by = item.claimed_by if item is not None else None
        parts: list[Any] = []
        if item is not None:
            kind = kind_named(item.kind)
            parts.append(
                Text.assemble(
                    ("Ticket ", "bold"),
                    plain(item.thread_id, "bold"),
                    "  ",
                    plain(item.kind, "cyan"),
                    ("  waiting " + age(item.age_seconds(self.app.clock())), "dim"),
                )
            )
            if kind.description:
                parts.append(plain(kind.description, "dim"))
            if item.claimed_by:
                parts.append(plain(f"claimed by {item.claimed_by}", "yellow"))
            for call in item.tool_calls:
                parts.append(
                    Text.assemble(("\nTool call ", "bold"), plain(call.get("name"), "magenta"))
                )
                parts.append(json_view(call.get("args")))
            parts.append(Text("\nInterrupt payload", style="bold"))
            parts.append(json_view(item.value))
        if snapshot is not None:
            parts.append(Text("\nConversation", style="bold"))
            for message in snapshot.messages:
                data = message_as_json(message)
                text = message_text(message) or ""
                if data["tool_calls"]:
                    calls = ", ".join(str(c["name"]) for c in data["tool_calls"])
                    text = f"{text} → {calls}".strip()
                style = {"user": "cyan", "assistant": "green", "tool": "magenta"}.get(
                    data["role"], "dim"
                )
                parts.append(Text.assemble((f"{data['role']}: ", f"bold {style}"), plain(text)))
            for problem in snapshot.problems:
                parts.append(plain(f"! {problem}", "red"))
        if history:
            parts.append(Text("\nDecisions", style="bold"))
            for entry in history:
                parts.append(
                    plain(
                        f"{entry['started_at'][:19]}  {entry['operator']}  "
                        f"{entry['decision'].get('action')}  {entry['outcome']}"
                        + (f"  {entry['error']}" if entry.get("error") else ""),
                        "dim",
                    )
                )
        return Group(*parts)

    # -- opening and claiming ---------------------------------------------------------
    def open_selected(self) -> None:
        table = self.query_one(InboxTable)
        key = table.selected_key
        if key is None or self.hub is None:
            return
        if self.claim is not None and self.open_key != key:
            self._release(self.claim)
            self.claim = None
        item = table.items[key]
        self.open_key = key
        self._confirm_empty = False
        decisions = allowed_decisions(item)
        if RESPOND in decisions:
            mode = RESPOND
        elif CONTINUE in decisions:
            mode = CONTINUE
        elif APPROVE in decisions or REJECT in decisions:
            mode = REASON
        else:
            mode = JSON
        self._set_mode(mode, item)
        self.refresh_bindings()
        self.query_one("#answer-box").display = True
        self._load_detail(key)
        self._take_claim(key, item.thread_id, item.interrupt_id)
        self.query_one(AnswerEditor).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="claim")
    def _take_claim(self, key: str, thread_id: str, interrupt_id: str) -> None:
        from hitl_tui.errors import ConflictError
        from hitl_tui.hitl import claims

        try:
            claim = claims.acquire(
                self.hub.store,
                thread_id,
                interrupt_id,
                self.hub.settings.operator,
                self.hub.settings.claim_seconds,
            )
        except ConflictError as error:
            self.post_message(ClaimResult(key, None, str(error)))
            return
        self.post_message(ClaimResult(key, claim, None))

    @on(ClaimResult)
    def _claimed(self, event: ClaimResult) -> None:
        if event.key != self.open_key:
            if event.claim is not None:
                self._release(event.claim)
            return
        self.claim = event.claim
        if event.error:
            self._set_status(
                plain(
                    f"✋ {event.error}. You can read it; sending is refused "
                    "until the claim is released or expires.",
                    "bold yellow",
                )
            )
        else:
            minutes = self.hub.settings.claim_seconds / 60
            self._set_status(
                plain(
                    f"claimed by you ({event.claim.operator}); the "
                    f"{minutes:g}-minute lease renews while open",
                    "green",
                )
            )
        self.request_refresh()

    def _renew_claim(self) -> None:
        if self.claim is not None and self.hub is not None and not self.sending:
            self._renew(self.claim)

    @work(thread=True, exit_on_error=False, group="claim-renew")
    def _renew(self, claim: Any) -> None:
        from hitl_tui.hitl import claims

        claims.renew(self.hub.store, claim, self.hub.settings.claim_seconds)

    @work(thread=True, exit_on_error=False, group="claim-release")
    def _release(self, claim: Any) -> None:
        from hitl_tui.hitl import claims

        claims.release(self.hub.store, claim)
        self.post_message(ChangesSeen())  # look again: the claim changed

    def release_selected(self) -> None:
        key = self.query_one(InboxTable).selected_key
        if key is None or self.hub is None:
            return
        if self.claim is not None and self.open_key == key:
            self._release(self.claim)
            self.claim = None
        else:
            self._release_any(key)

    @work(thread=True, exit_on_error=False, group="claim-release")
    def _release_any(self, key: str) -> None:
        from hitl_tui.hitl import claims

        thread_id, interrupt_id = key.split("\x1f")
        claims.release_any(self.hub.store, thread_id, interrupt_id)
        self.post_message(ChangesSeen())  # look again: the claim changed

    def release_all(self) -> None:
        """Give back our claim when the console closes (best effort)."""
        if self.claim is not None and self.hub is not None:
            from hitl_tui.hitl import claims

            try:
                claims.release(self.hub.store, self.claim)
            except Exception:
                pass

    # -- answering ------------------------------------------------------------------
    def _set_mode(self, mode: str, item: Any) -> None:
        self.mode = mode
        editor = self.query_one(AnswerEditor)
        decisions = allowed_decisions(item)
        keys = [MODE_HELP[mode]]
        if APPROVE in decisions:
            keys.append("ctrl+y approve")
        if REJECT in decisions:
            keys.append("ctrl+r reject (text = reason)")
        if EDIT in decisions and mode != EDIT:
            keys.append("ctrl+e edit args")
        if mode in (RESPOND, REASON):
            editor.language = None
            editor.text = ""
        elif mode == CONTINUE:
            editor.text = "{}"
        elif mode == EDIT:
            editor.text = json.dumps(_current_args(item), indent=2, ensure_ascii=False)
        else:
            editor.text = "{}" if not editor.text.strip() else editor.text
        self.query_one("#answer-help", Label).update(plain(" · ".join(keys), "dim"))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Offer approve/reject/edit only where the open ticket's kind allows them."""
        needed = {"approve": APPROVE, "reject": REJECT, "edit_args": EDIT}.get(action)
        if needed is None:
            return True
        item = self._open_item()
        return item is not None and needed in allowed_decisions(item)

    def _open_item(self) -> Any:
        return self.query_one(InboxTable).items.get(self.open_key or "")

    def action_send(self) -> None:
        item = self._open_item()
        if item is None or self.sending:
            return
        text = self.query_one(AnswerEditor).text
        if self.mode == REASON:
            self._set_status(
                plain(
                    "Decide with ctrl+y (approve) or ctrl+r (reject); ctrl+e "
                    "edits the arguments, ctrl+t writes raw JSON.",
                    "yellow",
                )
            )
            return
        if self.mode == RESPOND:
            if not text.strip() and not self._confirm_empty:
                self._confirm_empty = True
                self._set_status(
                    plain(
                        "The answer is empty. Press ctrl+s again to send it anyway.", "bold yellow"
                    )
                )
                return
            self._send(item, Decision(RESPOND, text=text))
            return
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            self._set_status(
                plain(
                    f"Not sent: invalid JSON: {error.msg} at line {error.lineno}"
                    f" column {error.colno}",
                    "bold red",
                )
            )
            return
        if self.mode == EDIT:
            self._send(item, Decision(EDIT, args=value))
        elif self.mode == CONTINUE:  # a breakpoint: the editor holds an optional state update
            self._send(item, Decision(CONTINUE, value=value or None))
        else:
            self._send(item, Decision(JSON, value=value))

    def action_approve(self) -> None:
        item = self._open_item()
        if item is not None and APPROVE in allowed_decisions(item):
            self._send(item, Decision(APPROVE))

    def action_reject(self) -> None:
        item = self._open_item()
        if item is not None and REJECT in allowed_decisions(item):
            reason = self.query_one(AnswerEditor).text.strip() or None
            self._send(item, Decision(REJECT, text=reason))

    def action_edit_args(self) -> None:
        item = self._open_item()
        if item is not None and EDIT in allowed_decisions(item):
            self._set_mode(EDIT, item)

    def action_json_mode(self) -> None:
        item = self._open_item()
        if item is not None:
            decisions = allowed_decisions(item)
            back = RESPOND if RESPOND in decisions else REASON
            self._set_mode(JSON if self.mode != JSON else back, item)

    def action_back_to_inbox(self) -> None:
        self.query_one(InboxTable).focus()

    def _send(self, item: Any, decision: Decision) -> None:
        from hitl_tui.errors import HitlError

        try:  # validate before anything is sent
            from hitl_tui.hitl.resume import resume_value_for

            resume_value_for(item, decision, self.hub)
        except HitlError as error:
            self._set_status(plain(f"Not sent: {error}", "bold red"))
            return
        self.sending = True
        self._confirm_empty = False
        self.query_one("#resume-busy").display = True
        self._set_status(plain(f"Resuming {item.thread_id}: running the graph…", "bold"))
        self._resume(self.open_key, item.thread_id, item.interrupt_id, decision, self.claim)

    @work(thread=True, exclusive=True, exit_on_error=False, group="resume")
    def _resume(
        self, key: str, thread_id: str, interrupt_id: str, decision: Decision, claim: Any
    ) -> None:
        from hitl_tui.hitl.resume import resume

        try:
            result = resume(
                self.hub, thread_id, decision, self.hub.settings.operator, interrupt_id, claim=claim
            )
        except Exception as error:
            self.post_message(ResumeFailed(key, _describe(error)))
            return
        self.post_message(ResumeFinished(key, result))

    @on(ResumeFinished)
    def _resumed(self, event: ResumeFinished) -> None:
        self.sending = False
        self.claim = None
        self.query_one("#resume-busy").display = False
        self.query_one(AnswerEditor).text = ""
        result = event.result
        if result.still_pending:
            message = f"Sent. {result.thread_id} waits again ({len(result.still_pending)} pending)."
        else:
            message = f"Sent. The agent answered: {result.answer or '(no text)'}"
        self._set_status(plain(message, "green"))
        self.notify(f"Answered {result.thread_id}", markup=False)
        self.open_key = None
        self.query_one(InboxTable).focus()
        self.request_refresh()

    @on(ResumeFailed)
    def _resume_failed(self, event: ResumeFailed) -> None:
        self.sending = False
        self.query_one("#resume-busy").display = False
        self._set_status(
            plain(f"Not sent: {event.error}. Your answer is kept; ctrl+s retries.", "bold red")
        )
        self.request_refresh()

    # -- filter, history, status -----------------------------------------------------
    def show_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_one(InboxTable).set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.query_one(InboxTable).focus()

    def on_key(self, event: Any) -> None:
        box = self.query_one("#filter", Input)
        if event.key == "escape" and box.has_focus:
            box.value = ""
            box.display = False
            self.query_one(InboxTable).focus()
            event.stop()

    def show_history(self) -> None:
        key = self.query_one(InboxTable).selected_key
        if key is not None:
            self._load_detail(key)
            self.query_one("#detail").scroll_end(animate=False)

    def _set_status(self, text: Text) -> None:
        self.query_one("#answer-status", Static).update(text)

    def _tick(self) -> None:
        self.query_one(InboxTable).tick(self.app.clock())


def _current_args(item: Any) -> Any:
    """What an edit starts from: the kind's editable part, else the last tool call's args."""
    editable = kind_named(item.kind).editable(item.value)
    if editable is not None:
        return editable
    if item.tool_calls:
        return item.tool_calls[-1].get("args") or {}
    return {}


def _describe(error: Exception) -> str:
    from hitl_tui.errors import HitlError

    if isinstance(error, HitlError):
        return str(error)
    return f"{type(error).__name__}: {error}"
