"""The operator's pane: the inbox, the ticket under the cursor decoded, and its answer box.

The pane wires its parts together: the inbox view, the ticket detail and the answer box
report what the operator asked for with messages; the session (plain Python over the
Desk) holds the inbox as last read, the open ticket and its claim; the pane runs the
session's database calls in workers and shows what they return.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import DataTable

from hitl_tui.console.answer_box import AnswerBox
from hitl_tui.console.confirm import ConfirmDecision, ConfirmTakeover
from hitl_tui.console.inbox_table import InboxTable
from hitl_tui.console.inbox_view import InboxView
from hitl_tui.console.messages import (
    ChangesSeen,
    ClaimResult,
    ConnectionBack,
    ConnectionLost,
    DecisionFailed,
    DetailLoaded,
    InboxRefreshed,
    Maximized,
    ResumeFinished,
    ShowDecided,
)
from hitl_tui.console.poller import Job, Poller
from hitl_tui.console.render import plain
from hitl_tui.console.session import OperatorSession, split_key
from hitl_tui.console.ticket import OpenTicket, current_args
from hitl_tui.console.ticket_detail import Head, TicketDetail
from hitl_tui.console.worker_errors import PassesWorkerErrorsUp
from hitl_tui.db.client import is_database_error
from hitl_tui.errors import HitlError, user_message
from hitl_tui.hitl.kinds import APPROVE, CONTINUE, EDIT, JSON, REJECT, RESPOND, Decision, kind_named
from hitl_tui.hitl.safe_text import one_line, visible
from hitl_tui.hitl.sla import OverdueTracker, ranked

DECODE_BATCH = 5000  # new tickets decoded per refresh, shown as they come (oldest first)
DETAIL_DELAY = 0.12  # seconds the cursor rests before the ticket's detail is loaded
RENEW_SECONDS = 20.0
RELEASE_WAIT = 3.0  # seconds closing waits for our claim to be given back
DONE_WORDS = {
    APPROVE: "Approved",
    REJECT: "Rejected",
    EDIT: "Approved with your edit:",
    RESPOND: "Answered",
    JSON: "Sent the JSON answer to",
    CONTINUE: "Continued",
}


class OperatorPane(PassesWorkerErrorsUp, Vertical):
    """Everything an operator needs for one ticket at a time, with the inbox in view."""

    BINDINGS = [
        # Priority, so the ticket opens (and the answer box takes the focus) in the same
        # step as the key: an answer typed right behind Enter lands in the answer box.
        Binding("enter", "open_selected", "Open", priority=True),
        Binding("ctrl+f", "toggle_maximize", "Maximize ticket", priority=True),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session: OperatorSession | None = None
        self._poller = Poller(self, self._plan_read, self._poll_seconds, "inbox")
        self._cursor_timer: Timer | None = None
        self._overdue = OverdueTracker()
        self._follower: Any = None  # the open ticket's thread, followed where the source can

    def compose(self) -> ComposeResult:
        yield InboxView(id="inbox-view")
        yield TicketDetail(id="detail")
        yield AnswerBox(id="answer-box")

    def on_mount(self) -> None:
        self._box.display = False
        self.set_interval(1.0, self._tick)
        self.set_interval(RENEW_SECONDS, self._renew_claim)

    async def on_unmount(self) -> None:
        """Stop looking, and give back our claim without holding up the event loop: the
        release runs in a thread, waited for at most RELEASE_WAIT seconds."""
        self._poller.stop()
        self._unfollow()
        if self.session is not None and (released := self.session.release_on_close()):
            await asyncio.to_thread(released.join, RELEASE_WAIT)

    @property
    def ticket(self) -> OpenTicket | None:
        return self.session.ticket if self.session is not None else None

    @property
    def _view(self) -> InboxView:
        return self.query_one(InboxView)

    @property
    def _detail(self) -> TicketDetail:
        return self.query_one(TicketDetail)

    @property
    def _box(self) -> AnswerBox:
        return self.query_one(AnswerBox)

    # -- reading the inbox ------------------------------------------------------------
    def attach(self, desk: Any) -> None:
        self.session = OperatorSession(desk)
        self._poller.poke()

    def show_listed(self, items: list[Any]) -> None:
        """The listed tickets, until the first read replaces them; nothing opens on them."""
        if self.session is None:
            policy = self.app.settings.sla_policy
            self._view.show_listed(ranked(items, policy), self.app.clock())

    def request_refresh(self) -> None:
        """Refresh now, or right after the refresh in flight: refreshes never overlap."""
        self._poller.poke()

    def _poll_seconds(self) -> float:
        return self.session.desk.settings.poll_seconds

    def _plan_read(self) -> Job | None:
        session = self.session
        if session is None:
            return None
        read = session.start_read()
        return lambda: self._read(session, read)

    def _read(self, session: OperatorSession, read: int) -> bool:
        """In a worker: read the inbox, post what was found (and what is found so far,
        while thousands are decoded); True when more is coming."""

        def progress() -> Any:
            shown = session.desk.progress
            return None if shown is None else replace(shown)  # the worker moves on meanwhile

        def partial(found: list[Any]) -> None:
            self.post_message(InboxRefreshed(found, False, progress(), read))

        items = None
        try:
            items = session.read_inbox(decode_limit=DECODE_BATCH, on_partial=partial)
            self.post_message(ConnectionBack())
        except Exception as error:
            if not is_database_error(error):
                raise  # a bug, not the database: the app's worker-error handler shows it
            self.post_message(ConnectionLost(user_message(error)))
        finally:
            complete = session.desk.complete
            self.post_message(InboxRefreshed(items, complete, progress(), read))
        return not complete

    @on(InboxRefreshed)
    def _refreshed(self, event: InboxRefreshed) -> None:
        self._view.show_progress(event.progress)
        if event.items is None or self.session is None:
            return
        change = self.session.apply(event.items, event.read, event.complete)
        self._view.show(event.items, self.app.clock())
        self._view.fit(self.ticket is not None)
        if change.fresh_threads:
            self.notify(
                one_line(f"New ticket: {', '.join(change.fresh_threads)}"),
                title="Inbox",
                markup=False,
            )
            if self.session.desk.settings.bell:
                self.app.bell()
        if change.answered_elsewhere is not None:
            self._answered_elsewhere(change.answered_elsewhere, change.to_release)
            return
        if change.claim_lost is not None:
            self._claim_lost(change.claim_lost)
        self._follow_detail()

    def _answered_elsewhere(self, ticket: OpenTicket, claim: Any) -> None:
        if claim is not None:
            self._release(claim)
        self._close_view(
            Text.assemble(
                plain(ticket.thread_id, "bold"),
                " is no longer pending: another operator or program answered it. "
                "Nothing was sent from here.",
            )
        )
        self.notify(
            one_line(f"{ticket.thread_id} was answered elsewhere"), severity="warning", markup=False
        )

    def _claim_lost(self, why: str) -> None:
        self._box.set_status(
            plain(
                f"✋ {why.capitalize()}. Sending now would race them; "
                "Esc, then Enter on the row claims it again.",
                "bold yellow",
            )
        )
        self.notify(one_line(f"{self.ticket.thread_id}: {why}"), severity="warning", markup=False)

    def _follow_detail(self) -> None:
        """The detail describes the open ticket, else the highlighted row; it is read
        again when that ticket's claim changed hands."""
        latest, ticket = self.session.latest, self.ticket
        if ticket is not None:
            if ticket.key in latest:
                if latest[ticket.key].claimed_by != self._detail.claimed_by:
                    self._load_detail(ticket.key)
                self._show_head()
            return
        key = self._view.selected_key
        if key is not None and (
            key != self._detail.key or latest[key].claimed_by != self._detail.claimed_by
        ):
            self._load_detail(key)

    # -- the detail ---------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#inbox")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Load the detail once the cursor rests, so holding j stays instant."""
        if self.ticket is None and event.row_key is not None:
            if self._cursor_timer is not None:
                self._cursor_timer.stop()
            key = event.row_key.value
            self._cursor_timer = self.set_timer(DETAIL_DELAY, lambda: self._load_detail(key))

    def _load_detail(self, key: str) -> None:
        if self.session is not None:
            self._fetch_detail(self.session, key)

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def _fetch_detail(self, session: OperatorSession, key: str) -> None:
        try:
            snapshot, history = session.read_detail(key)
        except Exception as error:
            if not is_database_error(error):
                raise
            self.post_message(ConnectionLost(user_message(error)))
            return
        self.post_message(DetailLoaded(key, snapshot, history))

    @on(DetailLoaded)
    def _detail_loaded(self, event: DetailLoaded) -> None:
        wanted = self.ticket.key if self.ticket else self._view.selected_key
        item = self.session.latest.get(event.key)
        if item is None or event.key != wanted:
            return  # answered meanwhile, or the operator moved on
        self._show_head(event.key)
        self._detail.show_ticket(item, event.snapshot, event.history)

    def _show_head(self, key: str | None = None) -> None:
        key = key or self._detail.key
        if key is None:
            return
        item = self.session.latest.get(key)
        opened = self.session.is_open(key)
        self._detail.head = Head(key, item, opened, self.session.holds_claim(key))

    # -- opening and claiming -------------------------------------------------------------
    @on(InboxTable.Requested)
    def _inbox_request(self, event: InboxTable.Requested) -> None:
        event.stop()
        if event.what == "decided":
            self.post_message(ShowDecided())
        elif event.key is None:
            return
        elif event.what == "history":
            self.show_history(event.key)
        elif event.what == "release":
            self.release(event.key)

    def open_selected(self) -> None:
        if (key := self._view.selected_key) is not None:
            self.open_ticket(key)

    def action_open_selected(self) -> None:
        self.open_selected()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Enter opens from the inbox table only; in an editor it is a new line."""
        return action != "open_selected" or self._view.table.has_focus

    def open_ticket(self, key: str) -> None:
        session = self.session
        if self._view.listed:
            self.notify("Reading the inbox: tickets open once it is read.", markup=False)
            return
        if session is None or key not in session.latest or session.sending:
            return
        if session.holds_claim(key):
            self._box.focus_editor()
            return
        self._close_ticket(None)
        ticket = session.open(key)
        self._follow(session, ticket.thread_id)
        self._box.open(ticket.item)
        self.add_class("ticket-open")
        self._view.fit(True)
        self._show_head(key)
        self._load_detail(key)
        self._take_claim(session, key)
        self._box.focus_editor()
        self._detail.scroll_home(animate=False)

    def _close_ticket(self, note: Any) -> None:
        """Forget the open ticket (giving back its claim); `note` replaces the detail."""
        if self.session is not None and (claim := self.session.close()) is not None:
            self._release(claim)
        self._close_view(note)

    def _follow(self, session: OperatorSession, thread_id: str) -> None:
        """Look again as soon as the open ticket's thread changes, where the source says
        so (an Agent Server's thread stream); the inbox's own polling goes on regardless."""
        self._unfollow()
        self._follower = session.desk.follow(thread_id, lambda: self.post_message(ChangesSeen()))

    def _unfollow(self) -> None:
        if self._follower is not None:
            self._follower.stop()  # never blocks
            self._follower = None

    def _close_view(self, note: Any) -> None:
        self._unfollow()
        self._box.close()
        self.remove_class("ticket-open")
        if self.has_class("maximized"):
            self.remove_class("maximized")
            self.post_message(Maximized(False))
        self._view.fit(False)
        if note is not None:
            self._detail.show_note(note)
            self._view.table.focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="claim")
    def _take_claim(self, session: OperatorSession, key: str) -> None:
        try:
            self.post_message(ClaimResult(session.take_claim(key)))
        except Exception as error:
            if not is_database_error(error):
                raise
            self.post_message(ConnectionLost(user_message(error)))

    @on(ClaimResult)
    def _claimed(self, event: ClaimResult) -> None:
        outcome = event.outcome
        if not self.session.claimed(outcome):
            if outcome.claim is not None:
                self._release(outcome.claim)  # the ticket closed meanwhile
            return
        attempt = getattr(self.ticket.item, "interrupted_attempt", None)
        if outcome.error and isinstance(attempt, dict):
            from hitl_tui.hitl.claims import interrupted_sentence

            self._box.set_status(
                plain(
                    f"⚠ {interrupted_sentence(attempt)}. Deciding takes it over, "
                    "after you confirm.",
                    "bold yellow",
                )
            )
        elif outcome.error:
            self._box.set_status(
                plain(
                    f"✋ {outcome.error}. You can read it; sending is refused until they "
                    "release it (u in the inbox releases anyone's claim).",
                    "bold yellow",
                )
            )
        self._show_head()
        self.request_refresh()

    def _renew_claim(self) -> None:
        if self.session is not None and (claim := self.session.claim_to_renew()) is not None:
            self._renew(self.session, claim)

    @work(thread=True, exit_on_error=False, group="claim-renew")
    def _renew(self, session: OperatorSession, claim: Any) -> None:
        try:
            session.renew(claim)
        except Exception as error:
            if not is_database_error(error):
                raise
            self.post_message(ConnectionLost(user_message(error)))

    @work(thread=True, exit_on_error=False, group="claim-release")
    def _release(self, claim: Any) -> None:
        try:
            self.session.release(claim)
        except Exception as error:
            if not is_database_error(error):
                raise
            self.post_message(ConnectionLost(user_message(error)))
        self.post_message(ChangesSeen())  # look again: the claim changed

    def release_selected(self) -> None:
        if (key := self._view.selected_key) is not None:
            self.release(key)

    def release(self, key: str) -> None:
        if self.session is None or key not in self.session.latest:
            return  # a listed row (hitl.listing) is no ticket yet
        if (claim := self.session.give_back(key)) is not None:
            self._release(claim)
            self._show_head()
        else:
            self._release_any(key)

    @work(thread=True, exit_on_error=False, group="claim-release")
    def _release_any(self, key: str) -> None:
        try:
            self.session.release_any(key)
        except HitlError as error:  # a running resume, or an interrupted attempt
            self.notify(user_message(error), title="Not released", severity="warning", markup=False)
        except Exception as error:
            if not is_database_error(error):
                raise
            self.post_message(ConnectionLost(user_message(error)))
        self.post_message(ChangesSeen())  # look again: the claim changed

    # -- deciding -------------------------------------------------------------------------
    @on(AnswerBox.Left)
    def _left_answer(self, event: AnswerBox.Left) -> None:
        event.stop()
        self._view.table.focus()

    @on(AnswerBox.Decided)
    def _decided(self, event: AnswerBox.Decided) -> None:
        """Check, then confirm what cannot be undone, then send."""
        event.stop()
        ticket = self.ticket
        if ticket is None or self.session.sending:
            return
        decision = event.decision
        try:
            self.session.desk.check(ticket.item, decision)
        except HitlError as error:
            self._box.set_status(plain(f"Not sent: {error}", "bold red"))
            return
        destructive = decision.action in kind_named(ticket.item.kind).destructive
        if not destructive or self.app.settings.confirm == "never":
            self._send(decision)
            return
        question = ConfirmDecision(ticket.item, decision, current_args(ticket.item))
        self.app.push_screen(question, self._when_confirmed(ticket.key, decision))

    def _when_confirmed(self, key: str, decision: Decision, force: bool = False) -> Any:
        def confirmed(yes: bool | None) -> None:
            if not self.session.is_open(key):
                self.notify("Not sent: the ticket closed meanwhile.", severity="warning")
            elif yes:
                self._send(decision, force)
            else:
                self._box.set_status(plain("Cancelled; nothing was sent.", "yellow"))
                self._box.focus_editor()

        return confirmed

    def _send(self, decision: Decision, force: bool = False) -> None:
        ticket = self.session.start_sending()
        self._box.set_busy(True)
        self._box.set_status(plain(f"Resuming {ticket.thread_id}: running the graph…", "bold"))
        self._resume(self.session, ticket, decision, force)

    @work(thread=True, exclusive=True, exit_on_error=False, group="resume")
    def _resume(
        self, session: OperatorSession, ticket: OpenTicket, decision: Decision, force: bool
    ) -> None:
        from hitl_tui.hitl.claims import InterruptedAttempt

        try:
            result = session.decide(ticket, decision, force)
        except InterruptedAttempt as error:
            self.post_message(DecisionFailed(ticket.key, user_message(error), takeover=decision))
            return
        except Exception as error:  # the graph's own code may raise anything
            self.post_message(DecisionFailed(ticket.key, user_message(error, "the graph failed")))
            return
        self.post_message(ResumeFinished(ticket.key, result, decision.action))

    @on(ResumeFinished)
    def _resumed(self, event: ResumeFinished) -> None:
        self.session.sent(event.key, answered=True)
        self._box.set_busy(False)
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
        self.session.sent(event.key, answered=False)
        self._box.set_busy(False)
        if event.takeover is not None and self.ticket is not None:
            self._offer_takeover(event)
            return
        self._box.set_status(
            plain(f"Not sent: {event.error}. Your text is kept; decide again to retry.", "bold red")
        )
        self.request_refresh()

    def _offer_takeover(self, event: DecisionFailed) -> None:
        """An interrupted attempt holds the ticket: say what it did, send only if confirmed."""
        from hitl_tui.hitl.claims import interrupted_sentence

        attempt = getattr(self.ticket.item, "interrupted_attempt", None)
        sentence = f"{interrupted_sentence(attempt)}." if attempt else event.error
        confirmed = self._when_confirmed(self.ticket.key, event.takeover, force=True)
        self.app.push_screen(ConfirmTakeover(sentence), confirmed)

    # -- filter, history, layout, ticking -------------------------------------------------
    def show_filter(self) -> None:
        self._view.show_filter()

    def show_history(self, key: str | None = None) -> None:
        key = key or self._view.selected_key
        if key is not None:
            self.post_message(ShowDecided(split_key(key)[0]))

    def action_toggle_maximize(self) -> None:
        """The open ticket's detail and answer take the whole pane (and the chat hides)."""
        self.toggle_class("maximized")
        self.post_message(Maximized(self.has_class("maximized")))

    def _tick(self) -> None:
        now = self.app.clock()
        self._view.tick(now)
        if self.session is None:
            return
        self._show_head()  # the ticket as last read, with its age now
        self._announce_overdue(self.session.items, now)

    def _announce_overdue(self, items: list[Any], now: Any) -> None:
        """One toast and one bell when tickets pass their deadline (HITL_SLA)."""
        self._overdue.forget_all_but(items)
        late = self._overdue.newly_overdue(items, now)
        if not late:
            return
        threads = ", ".join(sorted({item.thread_id for item in late}))
        self.notify(
            one_line(f"Overdue: {threads}")[:90], title="Deadline", severity="warning", markup=False
        )
        if self.session.desk.settings.bell:
            self.app.bell()
