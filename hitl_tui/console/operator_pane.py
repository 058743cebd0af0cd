"""The operator's pane: the inbox, the opened ticket decoded, and its answer box.

The pane owns the state (the latest inbox, the open ticket, its claim); its widgets
report what the operator asked for with messages and the pane decides.
"""

from __future__ import annotations

import gc
import json
from dataclasses import replace
from typing import Any

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, ProgressBar, Static

from hitl_tui.console.answer_box import REASON, AnswerBox, AnswerEditor
from hitl_tui.console.confirm import ConfirmDecision, ConfirmTakeover
from hitl_tui.console.inbox_table import InboxTable, row_key
from hitl_tui.console.messages import (
    ChangesSeen,
    ClaimResult,
    ConnectionBack,
    ConnectionLost,
    DecisionFailed,
    DetailLoaded,
    InboxRefreshed,
    ResumeFinished,
    ShowDecided,
)
from hitl_tui.console.render import json_view, plain
from hitl_tui.console.ticket import OpenTicket, current_args
from hitl_tui.db.client import is_database_error
from hitl_tui.errors import user_message
from hitl_tui.hitl.humanize import age
from hitl_tui.hitl.jsonsafe import dumps
from hitl_tui.hitl.kinds import APPROVE, CONTINUE, EDIT, JSON, REJECT, RESPOND, Decision, kind_named
from hitl_tui.hitl.presentation import ROLE_COLOURS, decision_line
from hitl_tui.hitl.safe_text import one_line, visible
from hitl_tui.hitl.sla import OverdueTracker, by_urgency, stamp
from hitl_tui.hitl.snapshot import message_as_json, message_text

BIG_INBOX = 500
DECODE_BATCH = 400  # new tickets decoded per refresh: thousands appear oldest first
DETAIL_DELAY = 0.12  # seconds the cursor rests before the ticket's detail is loaded
DONE_WORDS = {
    APPROVE: "Approved",
    REJECT: "Rejected",
    EDIT: "Approved with your edit:",
    RESPOND: "Answered",
    JSON: "Sent the JSON answer to",
    CONTINUE: "Continued",
}


class OperatorPane(Vertical):
    """Everything an operator needs for one ticket at a time, with the inbox in view."""

    BINDINGS = [
        Binding("ctrl+f", "toggle_maximize", "Maximize ticket", priority=True),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.desk: Any = None
        self.known: set[str] | None = None
        self.latest: dict[str, Any] = {}  # every pending ticket, whatever the filter shows
        self.ticket: OpenTicket | None = None
        self.sending = False
        self.shown_key: str | None = None  # the ticket the detail describes
        self._confirm_empty = False
        self._refresh_timer: Timer | None = None
        self._refresh_due = False
        self._refreshing = False
        self._refresh_seq = 0
        self._detail_timer: Timer | None = None
        self._detail_claimed_by: str | None = None
        self._overdue = OverdueTracker()
        self._pending: list[Any] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="inbox-header"):
            yield Label("Operator inbox", id="inbox-title")
            yield Label("", id="inbox-count")
        with Horizontal(id="history-progress"):
            yield ProgressBar(show_eta=False)
            yield Label("", id="history-counts")
        yield Input(placeholder="filter (thread, kind, text, operator) · Esc clears", id="filter")
        yield InboxTable(id="inbox")
        with VerticalScroll(id="detail"):
            yield Static("", id="detail-head")
            yield Static(
                plain("Select a ticket and press Enter to answer it.", "dim"), id="detail-body"
            )
        yield AnswerBox(id="answer-box")

    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one("#history-progress").display = False
        self.query_one("#answer-box").display = False
        self.query_one("#detail-head").display = False
        self.set_interval(1.0, self._tick)
        self.set_interval(20.0, self._renew_claim)

    def on_unmount(self) -> None:
        self.release_all()

    # -- refresh ---------------------------------------------------------------------
    def attach(self, desk: Any) -> None:
        self.desk = desk
        self.request_refresh()

    def request_refresh(self) -> None:
        """Refresh now, or right after the refresh in flight: refreshes never overlap."""
        if self.desk is None:
            return
        if self._refreshing:
            self._refresh_due = True
            return
        if self._refresh_timer is not None:
            self._refresh_timer.stop()
        self._refreshing = True
        self._refresh_seq += 1
        self._refresh()

    @work(thread=True, exclusive=True, exit_on_error=False, group="inbox")
    def _refresh(self) -> None:
        items = None
        try:
            items = self.desk.pending(decode_limit=DECODE_BATCH)
            items = by_urgency(stamp(items, self.desk.settings.sla_policy))
            self.post_message(ConnectionBack())
        except Exception as error:
            if not is_database_error(error):
                raise  # a bug, not the database: the app's worker-error handler shows it
            self.post_message(ConnectionLost(user_message(error)))
        finally:
            progress = self.desk.progress
            if progress is not None:
                progress = replace(progress)  # a copy: the worker moves on while it is shown
            self.post_message(InboxRefreshed(items, self.desk.complete, progress))

    @on(InboxRefreshed)
    def _show_history_progress(self, event: InboxRefreshed) -> None:
        """While an unseen history is read, how far, in checkpoints and tickets found."""
        box = self.query_one("#history-progress")
        progress = event.progress
        box.display = progress is not None
        if progress is not None:
            self.query_one(ProgressBar).update(total=progress.total, progress=progress.read)
            self.query_one("#history-counts", Label).update(
                f" reading the history: {progress.read:,} of {progress.total:,} checkpoints, "
                f"{progress.found:,} pending found"
            )

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
                self.desk.settings.poll_seconds, self.request_refresh
            )

    def _show_inbox(self, items: list[Any]) -> None:
        if len(items) >= BIG_INBOX:
            # Thousands of freshly decoded tickets would make the next full garbage
            # collection pause the screen for ~100 ms; they live on, so stop scanning them.
            gc.freeze()
        table = self.query_one(InboxTable)
        table.show_items(items, self.app.clock())
        self.latest = {row_key(i): i for i in items}
        keys = set(self.latest)
        self._pending = items
        fresh = keys - self.known if self.known is not None else set()
        self.known = keys
        self._show_count()
        self._fit_inbox()
        if fresh:
            threads = sorted({k.split("\x1f")[0] for k in fresh})
            self.notify(one_line(f"New ticket: {', '.join(threads)}"), title="Inbox", markup=False)
            if self.desk.settings.bell:
                self.app.bell()
        if self.ticket is not None:
            self._follow_open_ticket()
        elif table.selected_key is not None and (
            table.selected_key != self.shown_key
            or self.latest[table.selected_key].claimed_by != self._detail_claimed_by
        ):
            self._load_detail(table.selected_key)

    def _fit_inbox(self) -> None:
        """While a ticket is open the inbox keeps only a few rows, so the decision shows."""
        table = self.query_one(InboxTable)
        if self.ticket is None:
            table.styles.height = None  # back to the stylesheet
        else:
            table.styles.height = max(2, min(5, table.row_count + 1))

    def _show_count(self) -> None:
        table = self.query_one(InboxTable)
        shown, total = len(table.items), len(self.latest)
        text = f"{total} pending" if shown == total else f"{shown} of {total} shown"
        self.query_one("#inbox-count", Label).update(text)

    def _follow_open_ticket(self) -> None:
        """Keep the open ticket truthful: gone when answered elsewhere, and its claim as
        the database sees it."""
        ticket = self.ticket
        item = self.latest.get(ticket.key)
        if item is None:
            if not self.sending:
                self._close_ticket(
                    Text.assemble(
                        plain(ticket.item.thread_id, "bold"),
                        " is no longer pending: another operator or program answered it. "
                        "Nothing was sent from here.",
                    )
                )
                self.notify(
                    f"{ticket.item.thread_id} was answered elsewhere",
                    severity="warning",
                    markup=False,
                )
            return
        ticket.item = item
        mine = self.desk.settings.operator
        judged = ticket.claim_seq is not None and self._refresh_seq > ticket.claim_seq
        if ticket.claim is not None and judged and not self.sending and item.claimed_by != mine:
            ticket.claim = None
            ticket.claim_lost = (
                f"your claim was taken over by {item.claimed_by}"
                if item.claimed_by
                else "your claim was released by another operator"
            )
            self._answer_box().set_status(
                plain(
                    f"✋ {ticket.claim_lost.capitalize()}. Sending now would race them; "
                    "Esc, then Enter on the row claims it again.",
                    "bold yellow",
                )
            )
            self.notify(
                one_line(f"{item.thread_id}: {ticket.claim_lost}"), severity="warning", markup=False
            )
        if item.claimed_by != self._detail_claimed_by:
            self._load_detail(ticket.key)
        self._show_head()

    # -- selection and detail ------------------------------------------------------
    @on(DataTable.RowHighlighted, "#inbox")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Load the detail once the cursor rests, so holding j stays instant."""
        if self.ticket is None and event.row_key is not None:
            if self._detail_timer is not None:
                self._detail_timer.stop()
            key = event.row_key.value
            self._detail_timer = self.set_timer(DETAIL_DELAY, lambda: self._load_detail(key))

    def _load_detail(self, key: str) -> None:
        if self.desk is not None:
            self._fetch_detail(key)

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def _fetch_detail(self, key: str) -> None:
        thread_id = key.split("\x1f")[0]
        snapshot = self.desk.snapshot(thread_id)
        history = self.desk.decided(thread_id, limit=40)[-20:]
        self.post_message(DetailLoaded(key, snapshot, history))

    @on(DetailLoaded)
    def _detail_loaded(self, event: DetailLoaded) -> None:
        wanted = self.ticket.key if self.ticket else self.query_one(InboxTable).selected_key
        item = self.latest.get(event.key)
        if item is None or event.key != wanted:
            return  # answered meanwhile, or the operator moved on
        self.shown_key = event.key
        self._detail_claimed_by = item.claimed_by
        self._show_head()
        self.query_one("#detail-body", Static).update(
            self._detail(item, event.snapshot, event.history)
        )

    def _show_head(self) -> None:
        """The ticket's one-line header; redrawn every second so its age is never stale."""
        head = self.query_one("#detail-head", Static)
        item = self.latest.get(self.shown_key or "")
        if item is None:
            head.display = False
            return
        opened = self.ticket is not None and self.ticket.key == self.shown_key
        claim = self._claim_words(item, opened)
        head.update(
            Text.assemble(
                ("▶ " if opened else "", "bold"),
                plain(item.thread_id, "bold"),
                "  ",
                plain(item.kind, "cyan"),
                ("  waiting " + age(item.age_seconds(self.app.clock())), "dim"),
                "  ",
                claim,
            )
        )
        head.display = True

    def _claim_words(self, item: Any, opened: bool) -> Text:
        if opened and self.ticket.claim is not None:
            return plain("claimed by you", "green")
        if item.claimed_by:
            return plain(f"claimed by {item.claimed_by}", "yellow")
        return plain("Enter opens it" if not opened else "not claimed", "dim")

    def _detail(self, item: Any, snapshot: Any, history: list[dict]) -> Group:
        """The decision first (what is asked, which tool with which arguments), then the
        context: the raw payload, the conversation, earlier decisions."""
        kind = kind_named(item.kind)
        parts: list[Any] = [plain(_summary(item), "bold")]
        attempt = getattr(item, "interrupted_attempt", None)
        if isinstance(attempt, dict):
            from hitl_tui.hitl.claims import interrupted_sentence

            parts.append(plain(f"⚠ {interrupted_sentence(attempt)}.", "bold red"))
        args_shown = None
        for call in item.tool_calls:
            parts.append(Text.assemble(("Tool ", "dim"), plain(call.get("name"), "magenta")))
            parts.append(json_view(call.get("args"), width=self.size.width - 4))
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
            for message in snapshot.messages:
                data = message_as_json(message)
                text = message_text(message) or ""
                if data["tool_calls"]:
                    calls = ", ".join(str(c["name"]) for c in data["tool_calls"])
                    text = f"{text} → {calls}".strip()
                style = ROLE_COLOURS.get(data["role"], "dim")
                parts.append(Text.assemble((f"{data['role']}: ", f"bold {style}"), plain(text)))
            for problem in snapshot.problems:
                parts.append(plain(f"! {problem}", "red"))
        if history:
            parts.append(Text("\nDecisions (h for the full history)", style="bold"))
            for entry in history:
                parts.append(plain(decision_line(entry), "dim"))
        return Group(*parts)

    # -- opening and claiming ---------------------------------------------------------
    @on(InboxTable.Requested)
    def _inbox_request(self, event: InboxTable.Requested) -> None:
        event.stop()
        if event.what == "filter":
            self.show_filter()
        elif event.what == "decided":
            self.post_message(ShowDecided())
        elif event.key is None:
            return
        elif event.what == "open":
            self.open_ticket(event.key)
        elif event.what == "history":
            self.show_history(event.key)
        elif event.what == "release":
            self.release(event.key)

    def open_selected(self) -> None:
        key = self.query_one(InboxTable).selected_key
        if key is not None:
            self.open_ticket(key)

    def open_ticket(self, key: str) -> None:
        item = self.latest.get(key)
        if item is None or self.desk is None or self.sending:
            return
        box = self._answer_box()
        if self.ticket is not None and self.ticket.key == key and self.ticket.claim is not None:
            box.query_one(AnswerEditor).focus()
            return
        self._close_ticket(None)
        self.ticket = OpenTicket(key, item, "")
        self._confirm_empty = False
        self._set_mode(self.ticket.base_mode)
        box.set_status("")
        box.display = True
        self.add_class("ticket-open")
        self._fit_inbox()
        self.shown_key = key
        self._show_head()
        self._load_detail(key)
        self._take_claim(key, item.thread_id, item.interrupt_id)
        box.query_one(AnswerEditor).focus()
        self.query_one("#detail").scroll_home(animate=False)

    def _close_ticket(self, note: Text | None) -> None:
        """Forget the open ticket (giving back its claim); `note` replaces the detail."""
        ticket, self.ticket = self.ticket, None
        if ticket is not None and ticket.claim is not None:
            self._release(ticket.claim)
        box = self._answer_box()
        box.display = False
        box.query_one(AnswerEditor).text = ""
        box.set_status("")
        self.remove_class("ticket-open")
        self.remove_class("maximized")
        self.app.remove_class("operator-maximized")
        self._fit_inbox()
        if note is not None:
            self.shown_key = None
            self._detail_claimed_by = None
            self.query_one("#detail-head").display = False
            self.query_one("#detail-body", Static).update(note)
            self.query_one(InboxTable).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="claim")
    def _take_claim(self, key: str, thread_id: str, interrupt_id: str) -> None:
        from hitl_tui.errors import ConflictError
        try:
            claim = self.desk.claim(thread_id, interrupt_id)
        except ConflictError as error:
            self.post_message(ClaimResult(key, None, str(error)))
            return
        self.post_message(ClaimResult(key, claim, None))

    @on(ClaimResult)
    def _claimed(self, event: ClaimResult) -> None:
        if self.ticket is None or event.key != self.ticket.key:
            if event.claim is not None:
                self._release(event.claim)
            return
        self.ticket.claim = event.claim
        self.ticket.claim_error = event.error
        self.ticket.claim_lost = None
        self.ticket.claim_seq = self._refresh_seq
        attempt = getattr(self.ticket.item, "interrupted_attempt", None)
        if event.error and isinstance(attempt, dict):
            from hitl_tui.hitl.claims import interrupted_sentence

            self._answer_box().set_status(
                plain(
                    f"⚠ {interrupted_sentence(attempt)}. Deciding takes it over, "
                    "after you confirm.",
                    "bold yellow",
                )
            )
        elif event.error:
            self._answer_box().set_status(
                plain(
                    f"✋ {event.error}. You can read it; sending is refused until they "
                    "release it (u in the inbox releases anyone's claim).",
                    "bold yellow",
                )
            )
        self._show_head()
        self.request_refresh()

    def _renew_claim(self) -> None:
        if self.ticket is not None and self.ticket.claim is not None and not self.sending:
            self._renew(self.ticket.claim)

    @work(thread=True, exit_on_error=False, group="claim-renew")
    def _renew(self, claim: Any) -> None:
        self.desk.renew(claim)

    @work(thread=True, exit_on_error=False, group="claim-release")
    def _release(self, claim: Any) -> None:
        self.desk.release(claim)
        self.post_message(ChangesSeen())  # look again: the claim changed

    def release_selected(self) -> None:
        key = self.query_one(InboxTable).selected_key
        if key is not None:
            self.release(key)

    def release(self, key: str) -> None:
        if self.desk is None:
            return
        if self.ticket is not None and self.ticket.key == key and self.ticket.claim is not None:
            self._release(self.ticket.claim)
            self.ticket.claim = None
            self._show_head()
        else:
            self._release_any(key)

    @work(thread=True, exit_on_error=False, group="claim-release")
    def _release_any(self, key: str) -> None:
        from hitl_tui.errors import HitlError

        thread_id, interrupt_id = key.split("\x1f")
        try:
            self.desk.release_any(thread_id, interrupt_id)
        except HitlError as error:  # a running resume, or an interrupted attempt
            self.notify(str(error), title="Not released", severity="warning", markup=False)
        self.post_message(ChangesSeen())  # look again: the claim changed

    def release_all(self) -> None:
        """Give back our claim when the console closes, so our own `resume` and other
        operators are not kept waiting for the lease to run out."""
        ticket = self.ticket
        if ticket is None or ticket.claim is None or self.desk is None or self.sending:
            return
        try:
            self.desk.release(ticket.claim)
            ticket.claim = None
        except Exception:
            pass  # the lease runs out on its own

    # -- answering ------------------------------------------------------------------
    def _answer_box(self) -> AnswerBox:
        return self.query_one(AnswerBox)

    def _set_mode(self, mode: str, text: str | None = None) -> None:
        if text is None:  # JSON modes start from an empty object, text modes from nothing
            text = "{}" if mode in (JSON, CONTINUE) else ""
        self.ticket.mode = mode
        self._answer_box().show_mode(mode, self.ticket.allowed, text)

    @on(AnswerBox.Decided)
    def _decision_key(self, event: AnswerBox.Decided) -> None:
        event.stop()
        ticket = self.ticket
        if ticket is None or self.sending:
            return
        box = self._answer_box()
        text = box.query_one(AnswerEditor).text
        editing = ticket.mode in (EDIT, JSON) and ticket.mode != ticket.base_mode
        if event.what == "leave":
            if editing:
                self._set_mode(ticket.base_mode)
                box.set_status(plain("Edit cancelled; nothing was sent.", "yellow"))
            else:
                self.query_one(InboxTable).focus()
        elif event.what == "edit":
            self._set_mode(EDIT, dumps(current_args(ticket.item), indent=2))
            box.set_status("")
        elif event.what == "json":
            self._set_mode(JSON)
            box.set_status("")
        elif event.what == "reject":
            if editing:
                box.set_status(_finish_edit_first())
            else:
                self._decide(Decision(REJECT, text=text.strip() or None))
        elif event.what == "approve" and ticket.mode == JSON:
            box.set_status(_finish_edit_first())
        elif event.what == "approve" and ticket.mode != EDIT:
            self._decide(Decision(APPROVE))
        else:  # send, or approve while editing: approving an edit is the edit decision
            self._send_text(ticket, text)

    def _send_text(self, ticket: OpenTicket, text: str) -> None:
        box = self._answer_box()
        if ticket.mode == REASON and RESPOND in ticket.allowed and text.strip():
            self._decide(Decision(RESPOND, text=text))
            return
        if ticket.mode == REASON:
            box.set_status(
                plain(
                    "Decide with ctrl+o (approve) or ctrl+r (reject); ctrl+e edits the "
                    "arguments, ctrl+t writes raw JSON.",
                    "yellow",
                )
            )
            return
        if ticket.mode == RESPOND:
            if not text.strip() and not self._confirm_empty:
                self._confirm_empty = True
                box.set_status(
                    plain("The answer is empty. Press ctrl+s again to send it anyway.", "yellow")
                )
                return
            self._decide(Decision(RESPOND, text=text))
            return
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            box.set_status(
                plain(
                    f"Not sent: invalid JSON: {error.msg} at line {error.lineno}"
                    f" column {error.colno}. Fix it, or Esc to cancel the edit.",
                    "bold red",
                )
            )
            return
        if ticket.mode == EDIT:
            self._decide(Decision(EDIT, args=value))
        elif ticket.mode == CONTINUE:  # a breakpoint: the JSON is an optional state update
            self._decide(Decision(CONTINUE, value=value or None))
        else:
            self._decide(Decision(JSON, value=value))

    def _decide(self, decision: Decision) -> None:
        """Validate, then confirm what cannot be undone, then send."""
        from hitl_tui.errors import HitlError

        ticket = self.ticket
        try:
            self.desk.check(ticket.item, decision)
        except HitlError as error:
            self._answer_box().set_status(plain(f"Not sent: {error}", "bold red"))
            return
        destructive = decision.action in kind_named(ticket.item.kind).destructive
        if not destructive or self.app.settings.confirm == "never":
            self._send(decision)
            return
        key = ticket.key

        def confirmed(yes: bool | None) -> None:
            if self.ticket is None or self.ticket.key != key:
                self.notify("Not sent: the ticket closed meanwhile.", severity="warning")
            elif yes:
                self._send(decision)
            else:
                self._answer_box().set_status(plain("Cancelled; nothing was sent.", "yellow"))
                self._answer_box().query_one(AnswerEditor).focus()

        self.app.push_screen(
            ConfirmDecision(ticket.item, decision, current_args(ticket.item)), confirmed
        )

    def _send(self, decision: Decision, force: bool = False) -> None:
        ticket = self.ticket
        self.sending = True
        self._confirm_empty = False
        box = self._answer_box()
        box.set_busy(True)
        box.set_status(plain(f"Resuming {ticket.item.thread_id}: running the graph…", "bold"))
        item = ticket.item
        self._resume(ticket.key, item.thread_id, item.interrupt_id, decision, ticket.claim, force)

    @work(thread=True, exclusive=True, exit_on_error=False, group="resume")
    def _resume(
        self,
        key: str,
        thread_id: str,
        interrupt_id: str,
        decision: Decision,
        claim: Any,
        force: bool = False,
    ) -> None:
        from hitl_tui.hitl.claims import InterruptedAttempt

        try:
            result = self.desk.decide(
                thread_id, decision, interrupt_id=interrupt_id, claim=claim, force=force
            )
        except InterruptedAttempt as error:
            self.post_message(DecisionFailed(key, user_message(error), takeover=decision))
            return
        except Exception as error:
            self.post_message(DecisionFailed(key, user_message(error, "the graph failed")))
            return
        self.post_message(ResumeFinished(key, result, decision.action))

    @on(ResumeFinished)
    def _resumed(self, event: ResumeFinished) -> None:
        self.sending = False
        self._answer_box().set_busy(False)
        if self.ticket is not None and self.ticket.key == event.key:
            self.ticket.claim = None  # spent by the answer: nothing to give back
        result = event.result
        done = f"{DONE_WORDS.get(event.action, 'Answered')} {result.thread_id}."
        if result.still_pending:
            after = f"It waits again ({len(result.still_pending)} pending)."
        else:
            after = f"The agent answered: {result.answer or '(no text)'}"
        self._close_ticket(
            Group(plain(done, "bold green"), plain(after), plain("Select the next ticket.", "dim"))
        )
        self.notify(visible(done), markup=False)
        self.request_refresh()

    @on(DecisionFailed)
    def _resume_failed(self, event: DecisionFailed) -> None:
        self.sending = False
        box = self._answer_box()
        box.set_busy(False)
        if event.takeover is not None and self.ticket is not None:
            self._offer_takeover(event)
            return
        box.set_status(
            plain(f"Not sent: {event.error}. Your text is kept; decide again to retry.", "bold red")
        )
        self.request_refresh()

    def _offer_takeover(self, event: DecisionFailed) -> None:
        """An interrupted attempt holds the ticket: say what it did, send only if confirmed."""
        from hitl_tui.hitl.claims import interrupted_sentence

        key = self.ticket.key
        attempt = getattr(self.ticket.item, "interrupted_attempt", None)
        sentence = f"{interrupted_sentence(attempt)}." if attempt else event.error

        def confirmed(yes: bool | None) -> None:
            if self.ticket is None or self.ticket.key != key:
                self.notify("Not sent: the ticket closed meanwhile.", severity="warning")
            elif yes:
                self._send(event.takeover, force=True)
            else:
                self._answer_box().set_status(plain("Cancelled; nothing was sent.", "yellow"))
                self._answer_box().query_one(AnswerEditor).focus()

        self.app.push_screen(ConfirmTakeover(sentence), confirmed)

    # -- filter, history, layout, ticking ----------------------------------------------
    def show_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_one(InboxTable).set_filter(event.value)
        self._show_count()

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.query_one(InboxTable).focus()

    def on_key(self, event: Any) -> None:
        """Esc in the filter box, or in the inbox while a filter is on, clears it."""
        box = self.query_one("#filter", Input)
        table = self.query_one(InboxTable)
        if event.key == "escape" and (box.has_focus or (table.has_focus and box.value)):
            box.value = ""
            box.display = False
            table.set_filter("")
            self._show_count()
            table.focus()
            event.stop()

    def show_history(self, key: str | None = None) -> None:
        key = key or self.query_one(InboxTable).selected_key
        if key is not None:
            self.post_message(ShowDecided(key.split("\x1f")[0]))

    def action_toggle_maximize(self) -> None:
        """The open ticket's detail and answer take the whole pane (and the chat hides)."""
        self.toggle_class("maximized")
        self.app.set_class(self.has_class("maximized"), "operator-maximized")

    def _tick(self) -> None:
        self.query_one(InboxTable).tick(self.app.clock())
        if self.shown_key is not None:
            self._show_head()
        self._announce_overdue(self._pending)

    def _announce_overdue(self, items: list[Any]) -> None:
        """One toast and one bell when tickets pass their deadline (HITL_SLA)."""
        self._overdue.forget_all_but(items)
        late = self._overdue.newly_overdue(items, self.app.clock())
        if not late:
            return
        threads = ", ".join(sorted({item.thread_id for item in late}))
        self.notify(
            one_line(f"Overdue: {threads}")[:90], title="Deadline", severity="warning", markup=False
        )
        if self.desk is not None and self.desk.settings.bell:
            self.app.bell()


def _summary(item: Any) -> str:
    try:
        return kind_named(item.kind).summary(item.value)
    except Exception:
        return "(cannot summarise this payload)"


def _finish_edit_first() -> Text:
    return plain(
        "Finish the edit first: ctrl+s sends it (after a confirmation), Esc cancels it.",
        "bold yellow",
    )
