"""The Textual app: connects in the background, hosts the chat and operator panes."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from hitl_tui.console.decided import DecidedScreen
from hitl_tui.console.help_screen import HelpScreen
from hitl_tui.console.inbox_table import InboxTable
from hitl_tui.console.messages import (
    ChangesSeen,
    ConnectionBack,
    ConnectionLost,
    DeskFailed,
    DeskReady,
    GraphReady,
    InboxListed,
    InboxRefreshed,
    Maximized,
    ShowDecided,
    WorkerFailed,
)
from hitl_tui.console.operator_pane import OperatorPane
from hitl_tui.console.palette import HitlCommands
from hitl_tui.console.render import load_highlighter, plain
from hitl_tui.console.start_up_gc import START_UP_LIMIT_SECONDS, StartUpCollector
from hitl_tui.console.status_bar import StatusBar
from hitl_tui.console.worker_errors import RepeatSilencer
from hitl_tui.hitl.safe_text import visible
from hitl_tui.settings import Settings

MAX_BACKOFF_SECONDS = 15.0


CHAT = "ChatPane"  # queried by type name: the class is imported only when composed


class HitlApp(App):
    """`mode` is "both" (side by side), "user" (chat only) or "admin" (operator only)."""

    CSS_PATH = "app.tcss"
    TITLE = "hitl-tui"
    COMMANDS = App.COMMANDS | {HitlCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("question_mark", "help", "Keys"),
        Binding("f1", "help", "Keys", show=False),
        Binding("tab", "focus_next", "Next pane", show=False),
    ]

    def __init__(
        self,
        settings: Settings,
        mode: str = "both",
        graph_spec: str | None = None,
        thread_id: str | None = None,
        hub: Any = None,
        clock: Callable[[], datetime] | None = None,
        desk: Any = None,
    ) -> None:
        super().__init__()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.settings = settings
        self.mode = mode
        self.graph_spec = graph_spec
        self.thread_id = thread_id
        # A runtime handed in (tests, screenshots) belongs to the caller: it is not closed here.
        self.desk: Any = None
        if hub is not None:
            from hitl_tui.hitl.desk import Desk

            self.desk = Desk(hub)
        if desk is not None:  # a desk handed in (tests) is the caller's too
            self.desk = desk
        self._owns_desk = self.desk is None
        self._backoff = 1.0
        self._connected = False
        self._watcher: Any = None
        self._warmed = False
        self._inbox_complete = False
        self._start_up: set[str] = set()
        self._collector = StartUpCollector()
        self._failures = RepeatSilencer()

    def compose(self) -> ComposeResult:
        yield Static("", id="banner")
        with Horizontal(id="panes", classes=self.mode):
            if self.mode in ("both", "user"):
                # Imported here: the chat loads langchain-core, which `admin` paints without.
                from hitl_tui.console.chat_pane import ChatPane

                yield ChatPane(self.thread_id, id="chat")
            if self.mode in ("both", "admin"):
                yield OperatorPane(id="operator")
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#banner").display = False
        status = self.query_one(StatusBar)
        status.operator = self.settings.operator
        status.database = "embedded (starting…)" if self.settings.uses_embedded_db else "…"
        if self.mode == "admin":
            self.query_one("#inbox").focus()
        elif self.mode in ("both", "user"):
            self.query_one("#chat-input").focus()
        if self.desk is not None:
            self.post_message(DeskReady(self.desk))
        else:
            self._connect()

    # -- connecting -----------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="connect")
    def _connect(self) -> None:
        from hitl_tui.db.client import is_database_error
        from hitl_tui.errors import HitlError, user_message
        from hitl_tui.runtime import build_desk, connect_and_list

        connection = None
        try:
            if self.mode != "user":  # the listed tickets first: they need no LangGraph
                connection, listed = connect_and_list(self.settings)
                if listed:
                    self.post_message(InboxListed(listed))
            desk = build_desk(self.settings, self.graph_spec, connection)
            desk.model_label  # noqa: B018 (resolve the model off the UI thread)
        except Exception as error:
            if connection is not None:
                connection.close()
            if not isinstance(error, HitlError | OSError) and not is_database_error(error):
                raise  # a bug, not the database: the worker-error handler shows it
            self.post_message(DeskFailed(user_message(error), self._backoff))
            return
        self.post_message(DeskReady(desk))

    @work(thread=True, exclusive=True, exit_on_error=False, group="warm-up")
    def _warm_up(self) -> None:
        """Compile the graph ahead of the first question or answer, once the screen shows.
        A graph that fails here (it was checked before the app started) is reported by the
        worker-error handler, not as a lost database."""
        load_highlighter()
        try:
            self.desk.load_graph()
        finally:
            self.post_message(GraphReady())

    @on(InboxListed)
    def _inbox_listed(self, event: InboxListed) -> None:
        for pane in self.query(OperatorPane):
            pane.show_listed(event.items)

    @on(GraphReady)
    def _graph_ready(self, event: GraphReady) -> None:
        self._settled("graph")

    @on(InboxTable.Filled)
    def _inbox_filled(self, event: InboxTable.Filled) -> None:
        if self._inbox_complete:
            self._settled("inbox")

    def _settled(self, part: str) -> None:
        """Start-up is over once the graph is compiled and (with an operator pane) the
        first complete inbox is on screen (see start_up_gc)."""
        self._start_up.add(part)
        needed = {"graph", "inbox"} if self.query(OperatorPane) else {"graph"}
        if needed <= self._start_up:
            self._collector.settled()

    @on(DeskReady)
    def _desk_ready(self, event: DeskReady) -> None:
        self._collector.start()
        self.set_timer(START_UP_LIMIT_SECONDS, self._collector.abandon)
        self.desk = event.desk
        self._backoff = 1.0
        status = self.query_one(StatusBar)
        status.database = event.desk.database_label
        status.model = event.desk.model_label
        self._set_connected(True)
        for pane in self.query(CHAT):
            pane.attach(event.desk)
        for pane in self.query(OperatorPane):
            pane.attach(event.desk)
        self._start_watcher(event.desk)
        if not self.query(OperatorPane):
            self._warm_up()  # chat only: the first question needs the graph

    def _start_watcher(self, desk: Any) -> None:
        """Push updates where the server has change streams; polling stays as a safety net."""
        if self._watcher is None and desk.settings.change_streams:
            self._watcher = desk.watch(lambda: self.post_message(ChangesSeen()))

    @on(ChangesSeen)
    def _changes_seen(self, event: ChangesSeen) -> None:
        for pane in self.query(OperatorPane):
            pane.request_refresh()
        for pane in self.query(CHAT):
            pane.poll_now()

    @on(InboxRefreshed)
    def _first_inbox_shown(self, event: InboxRefreshed) -> None:
        """Compile the graph once the operator sees the inbox, not before: start-up first."""
        if event.items is not None:
            self._inbox_complete = event.complete
        if event.items is not None and not self._warmed:
            self._warmed = True
            self._warm_up()

    @on(Maximized)
    def _operator_maximized(self, event: Maximized) -> None:
        self.set_class(event.on, "operator-maximized")

    @on(DeskFailed)
    def _desk_failed(self, event: DeskFailed) -> None:
        self._show_banner(
            f"Database unreachable: {event.error}. Retrying in {event.retry_in:.0f} s…"
        )
        self._set_connected(False)
        self._backoff = min(self._backoff * 2, MAX_BACKOFF_SECONDS)
        self.set_timer(event.retry_in, self._connect)

    @on(ConnectionLost)
    def _connection_lost(self, event: ConnectionLost) -> None:
        self._show_banner(f"Lost the database: {event.error}. Retrying; nothing you typed is lost.")
        self._set_connected(False)

    @on(ConnectionBack)
    def _connection_back(self, event: ConnectionBack) -> None:
        if not self._connected:
            self.query_one("#banner").display = False
            self._set_connected(True)
            self.notify("The database is back.")

    def _set_connected(self, connected: bool) -> None:
        self._connected = connected
        self.query_one(StatusBar).connection = "connected" if connected else "disconnected"

    def _show_banner(self, text: str) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(plain(text))
        banner.display = True

    @on(Worker.StateChanged)
    def _own_worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self._show_failure(event.worker.error)

    @on(WorkerFailed)
    def _worker_failed(self, event: WorkerFailed) -> None:
        self._show_failure(event.error)

    def _show_failure(self, error: BaseException) -> None:
        """One place for unexpected worker errors: shown, never fatal."""
        from hitl_tui.errors import user_message

        line = user_message(error)
        if not self._failures.should_say(line, time.monotonic()):
            return  # a poller failing the same way each time: said once is enough
        self.notify(
            f"Something failed in the background: {line}. "
            "The console keeps running; try again.",
            title="Error",
            severity="error",
            markup=False,
        )

    def on_unmount(self) -> None:
        self._collector.abandon()
        if self._watcher is not None:
            self._watcher.stop()
        if self.desk is not None and self._owns_desk:
            self.desk.close()

    # -- actions (keys and command palette) ------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    @on(ShowDecided)
    def _show_decided(self, event: ShowDecided) -> None:
        if self.desk is None:
            self.notify("Not connected to the database yet.", severity="warning")
        elif not isinstance(self.screen, DecidedScreen):
            self.push_screen(DecidedScreen(self.desk, event.thread_id))

    def action_decided(self) -> None:
        self.post_message(ShowDecided())

    def deliver_screenshot(self, filename=None, path=None, time_format=None) -> str | None:
        """In a terminal, screenshots go to HITL_SCREENSHOT_DIR (default: the working
        directory) and the path is shown; in a browser they download as usual."""
        if self.is_web:
            return super().deliver_screenshot(filename, path, time_format)
        folder = Path(path) if path else self.settings.screenshot_dir
        try:
            folder.mkdir(parents=True, exist_ok=True)
            saved = self.save_screenshot(filename, str(folder), time_format)
        except OSError as error:
            self.notify(
                visible(
                    f"Screenshot not saved: {error.strerror or error} ({folder}). "
                    "Set HITL_SCREENSHOT_DIR to a writable folder."
                ),
                severity="error",
                markup=False,
            )
            return None
        self.notify(visible(f"Saved to {saved}"), title="Screenshot", markup=False)
        return None

    def _operator(self) -> OperatorPane | None:
        panes = self.query(OperatorPane)
        return panes.first() if panes else None

    def action_new_ticket(self) -> None:
        for pane in self.query(CHAT):
            pane.action_new_ticket()

    def action_refresh_inbox(self) -> None:
        if pane := self._operator():
            pane.request_refresh()

    def action_open_ticket(self) -> None:
        if pane := self._operator():
            pane.open_selected()

    def action_filter_inbox(self) -> None:
        if pane := self._operator():
            pane.show_filter()

    def action_release_claim(self) -> None:
        if pane := self._operator():
            pane.release_selected()

    def action_ticket_history(self) -> None:
        if pane := self._operator():
            pane.show_history()

    def action_toggle_bell(self) -> None:
        self.settings.bell = not self.settings.bell
        self.notify("Bell on" if self.settings.bell else "Bell off")


def run_console(
    settings: Settings,
    mode: str = "both",
    graph_spec: str | None = None,
    thread_id: str | None = None,
) -> int:
    """Check what only the operator can fix, then run the console until they quit."""
    from hitl_tui.console.preflight import check_before_start

    if thread_id is not None:
        from hitl_tui.hitl.store import validate_thread_id

        validate_thread_id(thread_id)
    check_before_start(settings, graph_spec)
    HitlApp(settings, mode, graph_spec, thread_id).run()
    return 0
