"""The user's pane: send messages, see the agent's answers, wait visibly for an operator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label, LoadingIndicator, Select, Static, TextArea

from hitl_tui.console.messages import (
    AskFailed,
    AskFinished,
    ConnectionBack,
    ConnectionLost,
    ThreadLoaded,
)
from hitl_tui.console.poller import Job, Poller
from hitl_tui.console.render import plain
from hitl_tui.console.transcript import Transcript
from hitl_tui.console.worker_errors import PassesWorkerErrorsUp
from hitl_tui.db.client import is_database_error
from hitl_tui.errors import user_message
from hitl_tui.hitl.humanize import age
from hitl_tui.hitl.safe_text import visible
from hitl_tui.hitl.snapshot import message_as_json, message_text


class MessageInput(TextArea):
    """Enter sends; shift+enter or ctrl+j starts a new line."""

    BINDINGS = [
        Binding("enter", "send", "Send", priority=True),
        Binding("shift+enter,ctrl+j", "newline", "New line", show=False, priority=True),
    ]

    class SendRequested(Message):
        """Enter was pressed: the pane that owns the input decides what sending means."""

    def action_send(self) -> None:
        self.post_message(self.SendRequested())

    def action_newline(self) -> None:
        self.insert("\n")


class ChatPane(PassesWorkerErrorsUp, Vertical):
    """One user's tickets; watches the current thread so answers arrive on their own."""

    BINDINGS = [
        Binding("ctrl+n", "new_ticket", "New ticket"),
    ]

    def __init__(self, thread_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.thread_id: str | None = thread_id
        self.tickets: list[str] = [thread_id] if thread_id else []
        self.desk: Any = None
        self.busy = False
        self.waiting_since: datetime | None = None
        self._checkpoint: str | None = None
        self._poller = Poller(self, self._plan_poll, self._poll_seconds, "chat-poll")
        self._notes_cache: dict = {}
        self.titles: dict[str, str] = {}  # thread → its first question, for the selector
        self._pending_title: str | None = None  # the question of a ticket not yet created

    def compose(self) -> ComposeResult:
        with Horizontal(id="chat-header"):
            yield Label("Support chat", id="chat-title")
            yield Select(
                self._options(),
                prompt="my tickets",
                id="tickets",
                allow_blank=True,
                compact=True,
            )
        yield Transcript(id="transcript")
        yield Static("", id="waiting")
        with Horizontal(id="chat-input-row"):
            yield MessageInput(
                id="chat-input", placeholder="Ask a question (Enter sends)", compact=True
            )
            yield LoadingIndicator(id="chat-busy")

    def on_mount(self) -> None:
        self.query_one("#chat-busy").display = False
        self.query_one("#waiting").display = False
        if self.thread_id:
            with self.prevent(Select.Changed):
                self.query_one(Select).value = self.thread_id
        self.set_interval(1.0, self._tick)

    def on_unmount(self) -> None:
        self._poller.stop()

    # -- wiring from the app --------------------------------------------------------
    def attach(self, desk: Any) -> None:
        self.desk = desk
        if self.thread_id:
            self._watch()

    # -- sending --------------------------------------------------------------------
    @on(MessageInput.SendRequested)
    def _send_requested(self, event: MessageInput.SendRequested) -> None:
        event.stop()
        self.send()

    def send(self) -> None:
        box = self.query_one(MessageInput)
        text = box.text.strip()
        if not text:
            return
        if self.desk is None:
            self.notify("Not connected to the database yet; your text is kept.", severity="warning")
            return
        if self.busy:
            self.notify("The agent is still working on your last message.")
            return
        if self.waiting_since is not None:
            self.notify(
                "This ticket waits for an operator. Press ctrl+n for a new ticket.",
                severity="warning",
            )
            return
        box.clear()
        if self.thread_id is None:
            self._pending_title = text
        self._set_busy(True)
        self.query_one(Transcript).add_line("user", text)
        self._ask(text, self.thread_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="chat-ask")
    def _ask(self, text: str, thread_id: str | None) -> None:
        thread_id = thread_id or self.desk.new_thread_id()  # UUIDs on an Agent Server
        try:
            self.desk.ask(text, thread_id)
        except Exception as error:
            self.post_message(AskFailed(thread_id, text, user_message(error, "the agent failed")))
            return
        self.post_message(AskFinished(thread_id))

    @on(AskFinished)
    def _asked(self, event: AskFinished) -> None:
        self._set_busy(False)
        self._switch_to(event.thread_id, reload=True)

    @on(AskFailed)
    def _ask_failed(self, event: AskFailed) -> None:
        self._set_busy(False)
        box = self.query_one(MessageInput)
        if not box.text.strip():
            box.text = event.text
        self.notify(
            visible(
                f"Not sent: {event.error}. Your message is back in the input; press Enter to retry."
            ),
            severity="error",
            markup=False,
        )
        self._switch_to(event.thread_id, reload=True)

    # -- tickets --------------------------------------------------------------------
    def action_new_ticket(self) -> None:
        self.thread_id = None
        self._checkpoint = None
        self.waiting_since = None
        self.query_one(Transcript).clear()
        self.query_one("#waiting").display = False
        self.query_one(Select).value = Select.NULL
        self.query_one(MessageInput).focus()

    @on(Select.Changed, "#tickets")
    def _ticket_chosen(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.thread_id:
            self._switch_to(str(event.value), reload=True)

    def _options(self) -> list[tuple[Any, str]]:
        """Tickets listed by their question, newest last; the id is kept at the end."""
        return [(plain(f"{self.titles.get(t, t)[:40]} · {t[-6:]}"), t) for t in self.tickets]

    def _name_ticket(self, thread_id: str, question: str) -> None:
        from hitl_tui.hitl.safe_text import one_line

        if question and thread_id not in self.titles:
            self.titles[thread_id] = one_line(question, 40)
            with self.prevent(Select.Changed):
                select = self.query_one(Select)
                select.set_options(self._options())
                if self.thread_id:
                    select.value = self.thread_id

    def _switch_to(self, thread_id: str, reload: bool) -> None:
        if thread_id not in self.tickets:
            self.tickets.append(thread_id)
            if self._pending_title:
                self.titles.setdefault(thread_id, self._pending_title[:40])
                self._pending_title = None
            with self.prevent(Select.Changed):
                self.query_one(Select).set_options(self._options())
        if thread_id != self.thread_id:
            self.thread_id = thread_id
            self._checkpoint = None
            self.query_one(Transcript).clear()
        with self.prevent(Select.Changed):
            self.query_one(Select).value = thread_id
        if reload:
            self._checkpoint = None
        self._watch()

    # -- watching the thread -------------------------------------------------------
    def _watch(self) -> None:
        self._poller.poke()

    def poll_now(self) -> None:
        """Something changed in the database: look at the thread now (never two at once)."""
        self._poller.poke()

    def _poll_seconds(self) -> float:
        return self.desk.settings.poll_seconds if self.desk else 1.0

    def _plan_poll(self) -> Job | None:
        if self.desk is None or not self.thread_id or self.busy:
            return None
        desk, thread_id, known = self.desk, self.thread_id, self._checkpoint
        return lambda: self._poll_thread(desk, thread_id, known)

    def _poll_thread(self, desk: Any, thread_id: str, known: str | None) -> bool:
        """In a worker: the thread as stored, when it moved past the checkpoint `known`."""
        snapshot, notes = None, []
        try:
            latest = desk.latest_checkpoint(thread_id)
            if latest is not None and latest != known:
                snapshot = desk.snapshot(thread_id, latest)
                notes = desk.decision_notes(thread_id, self._notes_cache)
            self.post_message(ConnectionBack())
        except Exception as error:  # the database went away: say so, keep polling
            if not is_database_error(error):
                raise  # a bug, not the database: the app's worker-error handler shows it
            self.post_message(ConnectionLost(user_message(error)))
        finally:
            self.post_message(ThreadLoaded(thread_id, snapshot, notes))
        return False

    @on(ThreadLoaded)
    def _thread_loaded(self, event: ThreadLoaded) -> None:
        if event.thread_id != self.thread_id or event.snapshot is None:
            return
        snapshot = event.snapshot
        self._checkpoint = snapshot.checkpoint_id
        self.query_one(Transcript).show_messages(snapshot.messages, event.notes)
        first = next((m for m in snapshot.messages if message_as_json(m)["role"] == "user"), None)
        if first is not None:
            self._name_ticket(event.thread_id, message_text(first))
        if snapshot.pending:
            self.waiting_since = snapshot.pending[0].created_at
        else:
            self.waiting_since = None
        self._tick()

    # -- presentation -------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.query_one("#chat-busy").display = busy
        box = self.query_one(MessageInput)
        box.placeholder = "The agent is working…" if busy else "Ask a question (Enter sends)"

    def _tick(self) -> None:
        waiting = self.query_one("#waiting", Static)
        if self.waiting_since is None or self.thread_id is None:
            waiting.display = False
            return
        waited = (self.app.clock() - self.waiting_since).total_seconds()
        waiting.update(
            plain(
                f"Ticket {self.thread_id}: a human operator has been asked. "
                f"Waiting {age(waited)}. The answer will appear here."
            )
        )
        waiting.display = True

