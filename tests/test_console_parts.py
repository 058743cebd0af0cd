"""The console's parts on their own: the shared poller, the answer box and its modes, and
the checks the console makes before it starts."""

from __future__ import annotations

import gc
import threading

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Static

from hitl_tui.console.answer_box import AnswerBox, AnswerEditor
from hitl_tui.console.app import HitlApp
from hitl_tui.console.poller import Poller
from hitl_tui.console.status_bar import StatusBar
from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.desk import Desk
from hitl_tui.hitl.inbox import Inbox
from hitl_tui.hitl.kinds import APPROVE, EDIT, REJECT
from tests.conftest import run_cli
from tests.console_helpers import screen_text, visible_text, wait_until


class Looker(Static):
    """A widget that looks at something slow: each look waits until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.started = 0
        self.running = 0
        self.most_at_once = 0
        self.go = threading.Semaphore(0)
        self.lock = threading.Lock()
        self.poller = Poller(self, self._plan, lambda: 60.0, "look")

    def _plan(self):
        return self._look

    def _look(self) -> bool:
        with self.lock:
            self.started += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.go.acquire(timeout=10)
        with self.lock:
            self.running -= 1
        return False

    def on_unmount(self) -> None:
        self.poller.stop()


class LookerApp(App):
    def compose(self) -> ComposeResult:
        yield Looker()


async def test_pokes_during_a_look_make_one_more_look_never_two_at_once():
    app = LookerApp()
    async with app.run_test() as pilot:
        looker = app.query_one(Looker)
        looker.poller.poke()
        await wait_until(pilot, lambda: looker.running == 1, what="the first look")
        for _ in range(5):
            looker.poller.poke()
        looker.go.release()
        await wait_until(pilot, lambda: looker.started == 2, what="the one look asked for")
        looker.go.release()
        await wait_until(pilot, lambda: not looker.poller.running, what="the looks to end")
        await pilot.pause(0.2)
        assert looker.started == 2 and looker.most_at_once == 1
        looker.poller.poke()
        await wait_until(pilot, lambda: looker.running == 1, what="a look in flight")
    looker.go.release()  # the app is gone: the look in flight ends, no new one starts
    assert looker.started == 3 and looker.most_at_once == 1


class BoxApp(App):
    def __init__(self, item) -> None:
        super().__init__()
        self.item = item
        self.decided: list = []
        self.left = 0

    def compose(self) -> ComposeResult:
        yield AnswerBox()

    def on_mount(self) -> None:
        box = self.query_one(AnswerBox)
        box.open(self.item)
        box.focus_editor()

    def on_answer_box_decided(self, event: AnswerBox.Decided) -> None:
        self.decided.append(event.decision)

    def on_answer_box_left(self, event: AnswerBox.Left) -> None:
        self.left += 1


async def test_the_answer_box_turns_keys_and_text_into_decisions(hub):
    ask(hub, "Please refund order 1234, $40, it arrived broken")
    [item] = Inbox(hub.store).refresh()
    app = BoxApp(item)
    async with app.run_test(size=(100, 20)) as pilot:
        box, editor = app.query_one(AnswerBox), app.query_one(AnswerEditor)
        status = box.query_one("#answer-status")
        assert box.mode == "reason"
        await pilot.press("ctrl+e")
        assert box.mode == "edit" and '"amount": 40.0' in editor.text
        editor.text = '{"order_id": "1234", "amount": 35.0'
        await pilot.press("ctrl+s", "ctrl+r")
        await pilot.pause()
        assert "invalid JSON" in visible_text(status) and app.decided == []
        await pilot.press("escape")
        await wait_until(pilot, lambda: box.mode == "reason", what="the edit cancelled")
        assert "Edit cancelled" in visible_text(status) and app.decided == [] and not app.left
        editor.text = "not this week"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.decided, what="the rejection")
        assert (app.decided[0].action, app.decided[0].text) == (REJECT, "not this week")
        await pilot.press("ctrl+e")
        editor.text = '{"order_id": "1234", "amount": 35.0}'
        await pilot.press("ctrl+o")  # approving while editing sends the edit
        await wait_until(pilot, lambda: len(app.decided) == 2, what="the edit")
        assert app.decided[1].action == EDIT and app.decided[1].args["amount"] == 35.0
        await pilot.press("escape", "ctrl+o")
        await wait_until(pilot, lambda: len(app.decided) == 3, what="the approval")
        assert app.decided[2].action == APPROVE
        box.set_busy(True)  # a decision on its way: keys do nothing
        await pilot.press("ctrl+o", "escape")
        await pilot.pause()
        assert len(app.decided) == 3 and app.left == 0
        box.set_busy(False)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.left == 1, what="back to the inbox")


def _refused_at_start(args: list[str], env: dict) -> str:
    result = run_cli(args, env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "Lost the database" not in result.stdout + result.stderr
    return lines[0]


def test_a_bad_graph_stops_the_console_before_it_starts(cli_env):
    line = _refused_at_start(["admin", "--graph", "nosuch_module_xyz:graph"], cli_env)
    assert "cannot load graph 'nosuch_module_xyz:graph'" in line
    assert "importing nosuch_module_xyz failed" in line
    line = _refused_at_start(["--graph", "tests.graphs_review:missing"], cli_env)
    assert "cannot load graph 'tests.graphs_review:missing'" in line and "no attribute" in line


def test_a_bad_uri_stops_the_console_before_it_starts(cli_env):
    env = {**cli_env, "MONGODB_URI": "mongodb://alice:s3cret@localhost:1/?nosuchoption=1"}
    line = _refused_at_start(["user"], env)
    assert "bad MongoDB URI" in line and "s3cret" not in line


class BuggyDesk(Desk):
    """A desk with a bug in reading the inbox (not a database error)."""

    calls = 0

    def pending(self, *args, **kwargs):
        BuggyDesk.calls += 1
        raise KeyError("no such field: 'urgency'")


def _operator_app(hub, desk: Desk) -> HitlApp:
    app = HitlApp(hub.settings, "admin", hub=hub)
    app.desk = desk
    return app


def _toasts(app: HitlApp, containing: str) -> list[str]:
    return [n.message for n in app._notifications if containing in n.message]


async def test_a_bug_in_a_worker_is_not_a_lost_database(hub):
    app = _operator_app(hub, BuggyDesk(hub))
    async with app.run_test(size=(120, 34), notifications=True) as pilot:
        await wait_until(pilot, lambda: _toasts(app, "urgency"), what="the error shown")
        calls = BuggyDesk.calls
        await wait_until(pilot, lambda: BuggyDesk.calls >= calls + 3, what="polling goes on")
        [shown] = _toasts(app, "urgency")  # once, however often the poller meets it
        assert shown.startswith("Something failed in the background: KeyError")
        assert not app.query_one("#banner").display
        assert "Lost the database" not in screen_text(app)
        assert app.query_one(StatusBar).connection == "connected"


def test_a_repeated_failure_is_said_once_per_silence_wherever_the_clock_is():
    """Counted from when it was said: counting in fixed windows said it twice when two
    failures a moment apart straddled a window's edge."""
    from hitl_tui.console.worker_errors import RepeatSilencer

    silencer = RepeatSilencer(silence=30.0)
    said = [silencer.should_say(line, now) for line, now in [
        ("KeyError: urgency", 29.9),
        ("KeyError: urgency", 30.1),
        ("database lost", 31.0),
        ("KeyError: urgency", 59.8),
        ("KeyError: urgency", 61.0),
    ]]  # fmt: skip
    assert said == [True, False, True, True, False]


def test_collection_waits_during_start_up_then_freezes_once():
    from hitl_tui.console.start_up_gc import StartUpCollector

    assert gc.isenabled()
    collector = StartUpCollector()
    try:
        collector.start()
        assert not gc.isenabled()  # start-up piles up long-lived objects: no rescans
        collector.settled()
        assert gc.isenabled() and gc.get_freeze_count() > 0
        frozen = gc.get_freeze_count()
        later = [[] for _ in range(1000)]  # what comes after start-up is not frozen
        collector.start()  # once over, start-up does not begin again
        collector.settled()
        assert gc.isenabled() and gc.get_freeze_count() <= frozen < frozen + len(later)
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_start_up_that_never_settles_collects_again_without_freezing():
    from hitl_tui.console.start_up_gc import StartUpCollector

    collector = StartUpCollector()
    try:
        frozen = gc.get_freeze_count()
        alive = [[] for _ in range(1000)]
        collector.start()
        collector.abandon()  # the app closed, or waited too long for the database
        assert gc.isenabled() and gc.get_freeze_count() < frozen + len(alive)
    finally:
        gc.enable()


def burst(app: App, keys: list[str]) -> None:
    """Keys arriving at once, as a terminal delivers fast typing (Pilot's `press` waits
    for each key to be handled, which would hide a key landing on the wrong widget)."""
    names = {"enter": ("enter", "\r"), " ": ("space", " "), "/": ("slash", "/")}
    for key in keys:
        app.post_message(events.Key(*names.get(key, (key, key))))


async def test_typing_right_after_enter_goes_into_the_answer_not_the_inbox_keys(hub):
    """An operator types the answer as soon as the ticket opens: no key may reach the
    inbox's single-letter bindings (u releases a claim, d opens the Decided view)."""
    from hitl_tui.console.inbox_table import InboxTable
    from hitl_tui.console.operator_pane import OperatorPane

    ask(hub, "My package never arrived")
    app = HitlApp(hub.settings, "admin", hub=hub)
    async with app.run_test(size=(120, 34)) as pilot:
        pane, table = app.query_one(OperatorPane), app.query_one(InboxTable)
        await wait_until(pilot, lambda: table.row_count >= 1, what="the ticket listed")
        table.focus()
        await pilot.pause()
        burst(app, ["enter", *"du sent"])
        editor = app.query_one(AnswerEditor)
        await wait_until(pilot, lambda: editor.text == "du sent", what="the typed answer")
        assert app.screen is app.screen_stack[0], "a key opened another screen"
        await wait_until(
            pilot,
            lambda: pane.ticket is not None and pane.ticket.claim is not None,
            what="the ticket still claimed",
        )


async def test_a_filter_typed_right_after_slash_is_the_filter_not_inbox_keys(hub):
    from hitl_tui.console.inbox_table import InboxTable

    ask(hub, "My package never arrived")
    app = HitlApp(hub.settings, "admin", hub=hub)
    async with app.run_test(size=(120, 34)) as pilot:
        table = app.query_one(InboxTable)
        await wait_until(pilot, lambda: table.row_count >= 1, what="the ticket listed")
        table.focus()
        await pilot.pause()
        burst(app, [*"/dhu"])
        box = app.query_one("#filter")
        await wait_until(pilot, lambda: box.value == "dhu", what="the filter typed")
        assert app.screen is app.screen_stack[0], "a key opened another screen"


class HostileDesk(Desk):
    """A desk whose error quotes text from a document: escapes and all."""

    def pending(self, *args, **kwargs):
        from hitl_tui.errors import ConflictError

        raise ConflictError("bad ticket t-1\x1b]0;pwned\x07 [b]bold[/b] is claimed by carol")


async def test_a_background_error_quoting_hostile_text_is_shown_as_text(hub):
    app = _operator_app(hub, HostileDesk(hub))
    async with app.run_test(size=(120, 34), notifications=True) as pilot:
        await wait_until(pilot, lambda: _toasts(app, "bad ticket"), what="the error shown")
        [shown] = _toasts(app, "bad ticket")
        assert "\x1b" not in shown and "\x07" not in shown
        assert "\\x1b]0;pwned\\x07 [b]bold[/b]" in shown
