"""The operator's desk in the console: decisions that cannot be undone are confirmed, act
only on the opened ticket, edits stick, the detail tells the truth, claims are given back,
and answered tickets can be reviewed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hitl_tui.console.answer_box import AnswerBox, AnswerEditor
from hitl_tui.console.app import HitlApp
from hitl_tui.console.chat_pane import ChatPane
from hitl_tui.console.confirm import ConfirmDecision, ConfirmTakeover
from hitl_tui.console.decided import DecidedScreen
from hitl_tui.console.help_screen import HelpScreen
from hitl_tui.console.inbox_table import InboxTable
from hitl_tui.console.operator_pane import OperatorPane
from hitl_tui.hitl import audit, claims
from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.desk import Desk
from hitl_tui.hitl.kinds import APPROVE, RESPOND, Decision
from hitl_tui.hitl.resume import resume
from hitl_tui.hitl.snapshot import load_snapshot
from tests.conftest import done_effects
from tests.console_helpers import screen_text, visible_text, wait_until


def _pending(hub) -> list:
    return Desk(hub).pending()


async def _open_first(app: HitlApp, pilot) -> OperatorPane:
    pane = app.query_one(OperatorPane)
    table = app.query_one(InboxTable)
    await wait_until(pilot, lambda: table.row_count >= 1, what="ticket in the inbox")
    table.focus()
    await wait_until(pilot, lambda: table.has_focus, what="the inbox focused")
    await pilot.press("enter")
    await wait_until(
        pilot,
        lambda: pane.ticket is not None and pane.ticket.claim is not None,
        what="the ticket opened and claimed",
    )
    return pane


def _tool_results(hub, thread_id: str) -> list[str]:
    snapshot = load_snapshot(hub.store, thread_id)
    return [m.content for m in snapshot.messages if m.type == "tool"]


def _status(app: HitlApp) -> str:
    return visible_text(app.query_one("#answer-status"))


async def test_approve_needs_a_second_different_key_and_esc_cancels(hub):
    asked = ask(hub, "Please delete the customer database beta-staging")
    app = HitlApp(hub.settings, "admin", hub=hub)
    async with app.run_test(size=(120, 34)) as pilot:
        await _open_first(app, pilot)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDecision), what="confirm")
        restated = visible_text(app.screen)
        assert "beta-staging" in restated and "delete_customer_database" in restated
        await pilot.press("ctrl+o")  # the same key again confirms nothing
        await pilot.press("enter")  # nor does Enter
        assert isinstance(app.screen, ConfirmDecision)
        await pilot.press("escape")
        await wait_until(pilot, lambda: "Cancelled" in _status(app), what="cancelled note")
        assert done_effects(hub) == []
        assert [p.thread_id for p in _pending(hub)] == [asked.thread_id]

        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDecision), what="confirm")
        await pilot.press("y")
        await wait_until(pilot, lambda: done_effects(hub) != [], what="the deletion")
        await wait_until(pilot, lambda: _tool_results(hub, asked.thread_id), what="its result")
    assert done_effects(hub) == ["delete_customer_database"]
    assert _tool_results(hub, asked.thread_id) == ["The database beta-staging was deleted."]
    assert _pending(hub) == []


async def test_decision_keys_never_act_on_a_highlighted_row(hub):
    ask(hub, "Please delete the customer database beta-staging")
    app = HitlApp(hub.settings, "admin", hub=hub)
    async with app.run_test(size=(120, 34)) as pilot:
        table = app.query_one(InboxTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="ticket")
        table.focus()
        for key in ("ctrl+o", "ctrl+y", "ctrl+s", "ctrl+r", "y"):
            await pilot.press(key)
        await app.workers.wait_for_complete()
        assert not isinstance(app.screen, ConfirmDecision)
        assert app.query_one(OperatorPane).ticket is None
    assert done_effects(hub) == [] and len(_pending(hub)) == 1


async def test_edit_then_approve_sends_the_edit_after_showing_the_diff(hub):
    asked = ask(hub, "Please refund order 1234, $40, it arrived broken")
    app = HitlApp(hub.settings, "admin", hub=hub)
    async with app.run_test(size=(120, 34)) as pilot:
        await _open_first(app, pilot)
        await pilot.press("ctrl+e")
        editor = app.query_one(AnswerEditor)
        await wait_until(pilot, lambda: '"amount": 40.0' in editor.text, what="arguments")
        editor.text = editor.text.replace('"amount": 40.0', '"amount": 35.0')
        await pilot.press("ctrl+o")  # approving while editing is the edit decision
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDecision), what="confirm")
        diff = visible_text(app.screen)
        assert '-   "amount": 40.0' in diff and '+   "amount": 35.0' in diff
        await pilot.press("y")
        await wait_until(pilot, lambda: done_effects(hub) != [], what="the refund")
        await wait_until(pilot, lambda: _tool_results(hub, asked.thread_id), what="its result")
    assert done_effects(hub) == ["refund_order"]
    assert _tool_results(hub, asked.thread_id) == ["Refunded 35.00 for order 1234."]
    assert asked.thread_id not in {p.thread_id for p in _pending(hub)}


async def test_invalid_json_and_other_decisions_never_bypass_an_edit(hub):
    ask(hub, "Please refund order 1234, $40, it arrived broken")
    app = HitlApp(hub.settings, "admin", hub=hub)
    async with app.run_test(size=(120, 34)) as pilot:
        await _open_first(app, pilot)
        await pilot.press("ctrl+e")
        app.query_one(AnswerEditor).text = '{"order_id": "1234", "amount": 35.0'
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: "invalid JSON" in _status(app), what="JSON error")
        await pilot.press("ctrl+s")
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        assert not isinstance(app.screen, ConfirmDecision)
        assert app.query_one(AnswerBox).mode == "edit"
        await pilot.press("escape")
        await wait_until(pilot, lambda: "Edit cancelled" in _status(app), what="cancel")
        assert app.query_one(AnswerBox).mode == "reason"
    assert done_effects(hub) == [] and len(_pending(hub)) == 1


async def test_confirm_never_sends_at_once(hub):
    ask(hub, "Please delete the customer database beta-staging")
    settings = hub.settings.model_copy(update={"confirm": "never"})
    app = HitlApp(settings, "admin", hub=hub)
    async with app.run_test(size=(120, 34)) as pilot:
        await _open_first(app, pilot)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: done_effects(hub) != [], what="the deletion")


async def test_opened_approval_at_80x24_shows_its_argument_values(hub):
    ask(hub, "Please refund order 1234, $40, it arrived broken")
    ask(hub, "How do I configure SSL certificates for nginx?")
    app = HitlApp(hub.settings, "admin", hub=hub)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await _open_first(app, pilot)
        await wait_until(
            pilot,
            lambda: "order_id" in visible_text(app.query_one("#detail-body")),
            what="the detail",
        )
        await pilot.pause()
        screen = screen_text(app)
        for shown in ("refund_order", '"order_id": "1234"', '"amount": 40.0', "ctrl+o approve"):
            assert shown in screen, shown
        hint = ("ctrl+o", "approve", "ctrl+r", "reject", "ctrl+e", "edit", "Esc", "inbox")
        assert all(word in screen for word in hint), screen  # the hint wraps, never cut
        assert pane.query_one("#inbox").size.height <= 5  # the inbox gave way


async def test_detail_clears_after_an_answer_and_when_answered_elsewhere(hub):
    first = ask(hub, "How do I configure SSL certificates for nginx?")
    second = ask(hub, "Please delete the customer database beta-staging")
    app = HitlApp(hub.settings, "admin", hub=hub)
    async with app.run_test(size=(120, 34)) as pilot:
        pane = await _open_first(app, pilot)
        assert pane.ticket.item.thread_id == first.thread_id
        app.query_one(AnswerEditor).text = "Use certbot"
        await pilot.press("ctrl+s")  # an answer to a question is not destructive
        await wait_until(pilot, lambda: pane.ticket is None, what="the ticket to close")
        assert not app.query_one("#answer-box").display
        assert first.thread_id not in visible_text(app.query_one("#detail-head"))

        pane = await _open_first(app, pilot)
        assert pane.ticket.item.thread_id == second.thread_id
        app.query_one(AnswerEditor).text = "typed before someone else answered"
        claims.release_any(hub.store, second.thread_id, pane.ticket.item.interrupt_id, "bob")
        resume(hub, second.thread_id, Decision(APPROVE), "bob")
        await wait_until(pilot, lambda: pane.ticket is None, what="the ticket to close")
        assert "no longer pending" in visible_text(app.query_one("#detail-body"))
        assert not app.query_one("#answer-box").display


async def test_status_and_mode_reset_per_ticket_and_open_ticket_survives_a_filter(hub):
    ask(hub, "Please refund order 1234, $40, it arrived broken")
    ask(hub, "How do I configure SSL certificates for nginx?")
    app = HitlApp(hub.settings, "admin", hub=hub)
    async with app.run_test(size=(120, 34)) as pilot:
        pane = await _open_first(app, pilot)
        await pilot.press("ctrl+s")  # an approval: ctrl+s explains the decision keys
        await wait_until(pilot, lambda: "Decide with" in _status(app), what="hint")
        await pilot.press("ctrl+e")
        await pilot.press("escape", "escape")  # cancel the edit, back to the inbox
        await pilot.press("j", "enter")
        await wait_until(pilot, lambda: pane.ticket.item.kind == "query", what="next ticket")
        assert app.query_one(AnswerBox).mode == "respond" and _status(app) == ""
        await pilot.press("escape", "slash")
        for char in "refund":
            await pilot.press(char)
        await wait_until(
            pilot,
            lambda: "1 of 2 shown" in visible_text(app.query_one("#inbox-count")),
            what="filtered count",
        )
        assert app.query_one(InboxTable).row_count == 1  # the open ticket's row is hidden
        app.query_one(AnswerEditor).focus()
        app.query_one(AnswerEditor).text = "Use certbot"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(_pending(hub)) == 1, what="the hidden ticket answered")
        app.query_one(InboxTable).focus()
        await pilot.press("escape")  # Esc in the inbox clears the filter
        assert "pending" in visible_text(app.query_one("#inbox-count"))


async def test_quitting_releases_the_claim(hub):
    asked = ask(hub, "How do I configure SSL certificates for nginx?")
    app = HitlApp(hub.settings, "admin", hub=hub)
    async with app.run_test(size=(120, 34)) as pilot:
        pane = await _open_first(app, pilot)
        interrupt_id = pane.ticket.item.interrupt_id
        assert claims.claim_of(hub.store, asked.thread_id, interrupt_id) is not None
        await pilot.press("ctrl+q")
    assert claims.claim_of(hub.store, asked.thread_id, interrupt_id) is None
    assert _pending(hub)[0].claimed_by is None


async def test_an_interrupted_attempt_is_shown_and_taken_over_only_once_confirmed(hub):
    asked = ask(hub, "How do I configure SSL certificates for nginx?")
    [item] = _pending(hub)
    dead = claims.acquire(hub.store, asked.thread_id, item.interrupt_id, "alice", 60)
    assert claims.start_resuming(hub.store, dead, RESPOND, 60)
    stopped = datetime.now(UTC) - timedelta(seconds=1)  # alice's heartbeat stopped
    hub.store.claims.update_one({"token": dead.token}, {"$set": {"expires_at": stopped}})
    app = HitlApp(hub.settings, "admin", hub=hub)
    async with app.run_test(size=(120, 34)) as pilot:
        table = app.query_one(InboxTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="ticket in the inbox")
        table.focus()
        await pilot.press("enter")
        detail = app.query_one("#detail-body")
        await wait_until(
            pilot, lambda: "alice started 'respond'" in visible_text(detail), what="the attempt"
        )
        assert "never finished" in visible_text(detail)
        editor = app.query_one(AnswerEditor)
        editor.text = "Use certbot"
        editor.focus()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmTakeover), what="question")
        assert "alice started 'respond'" in visible_text(app.screen.query_one("#takeover-body"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: "Cancelled" in _status(app), what="the cancel")
        assert len(_pending(hub)) == 1 and claims.claim_of(
            hub.store, asked.thread_id, item.interrupt_id
        )["token"] == dead.token  # nothing was sent, the attempt untouched
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmTakeover), what="again")
        await pilot.press("y")
        await wait_until(pilot, lambda: not _pending(hub), what="the takeover's answer")
    events = [e["event"] for e in audit.history(hub.store, asked.thread_id)]
    assert "abandoned" in events and "forced" in events and events[-1] == "resumed"


async def test_a_claim_released_elsewhere_is_shown_at_once(hub):
    asked = ask(hub, "How do I configure SSL certificates for nginx?")
    app = HitlApp(hub.settings, "admin", hub=hub)
    async with app.run_test(size=(120, 34)) as pilot:
        pane = await _open_first(app, pilot)
        await wait_until(
            pilot, lambda: "claimed by you" in visible_text(app.query_one("#detail-head"))
        )
        claims.release_any(hub.store, asked.thread_id, pane.ticket.item.interrupt_id, "bob")
        await wait_until(
            pilot, lambda: "released by another operator" in _status(app), what="lost claim"
        )
        assert "claimed by you" not in visible_text(app.query_one("#detail-head"))


async def test_decided_view_marks_an_altered_audit(hub):
    answered = ask(hub, "How do I configure SSL certificates for nginx?")
    resume(hub, answered.thread_id, Decision(RESPOND, text="Use certbot"), "bob")
    app = HitlApp(hub.settings, "admin", hub=hub)
    async with app.run_test(size=(140, 34)) as pilot:
        await wait_until(pilot, lambda: app.query_one(InboxTable).row_count == 0, what="inbox")
        app.query_one(InboxTable).focus()
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, DecidedScreen), what="view")
        title = app.screen.query_one("#decided-title")
        await wait_until(pilot, lambda: "· 1" in visible_text(title), what="the decision")
        assert "broken" not in visible_text(title)
        await pilot.press("escape")
        hub.store.audit.update_one(
            {"event": "resumed", "thread_id": answered.thread_id}, {"$set": {"operator": "eve"}}
        )
        app.query_one(InboxTable).focus()
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, DecidedScreen), what="again")
        title = app.screen.query_one("#decided-title")
        await wait_until(
            pilot, lambda: "audit chain is broken" in visible_text(title), what="the marker"
        )
        assert "was altered" in visible_text(title)


async def test_decided_view_lists_an_answered_ticket_and_h_filters_to_it(hub):
    answered = ask(hub, "How do I configure SSL certificates for nginx?")
    resume(hub, answered.thread_id, Decision(RESPOND, text="Use certbot"), "bob")
    waiting = ask(hub, "Please delete the customer database beta-staging")
    app = HitlApp(hub.settings, "admin", hub=hub)
    async with app.run_test(size=(120, 34)) as pilot:
        table = app.query_one(InboxTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="ticket")
        table.focus()
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, DecidedScreen), what="view")
        decided = app.screen.query_one("#decided-table")
        await wait_until(pilot, lambda: decided.row_count == 1, what="decided row")
        row = [cell.plain for cell in decided.get_row_at(0)]
        assert answered.thread_id in row and "bob" in row and "resumed" in row
        assert 'answered "Use certbot"' in visible_text(app.screen.query_one("#decided-body"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, DecidedScreen), what="back")
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, DecidedScreen), what="history")
        assert app.screen.query_one("#decided-filter").value == waiting.thread_id
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.query_one("#decided-table").row_count == 0


async def test_help_lists_decision_keys_before_any_ticket_is_open(hub):
    app = HitlApp(hub.settings, "admin", hub=hub)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        text = visible_text(app.screen)
        for key in ("ctrl+o", "approve", "ctrl+r", "Esc", "Decided", "confirm"):
            assert key in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, HelpScreen), what="closed")


async def test_the_chat_tells_the_user_what_the_operator_decided(hub):
    from hitl_tui.hitl.kinds import EDIT, REJECT

    refund = ask(hub, "Please refund order 1234, $40, it arrived broken")
    resume(hub, refund.thread_id, Decision(EDIT, args={"order_id": "1234", "amount": 35.0}), "al")
    deletion = ask(hub, "Please delete the customer database beta-staging")
    resume(hub, deletion.thread_id, Decision(REJECT, text="needs a change request"), "al")
    plan = ask(hub, "Please migrate my account to the EU region")
    steps = plan.pending[0].value["plan"]
    resume(hub, plan.thread_id, Decision(EDIT, args=steps[:2] + steps[3:]), "al")
    app = HitlApp(hub.settings, "user", thread_id=refund.thread_id, hub=hub)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.query_one(ChatPane)

        async def chat_says(text: str) -> str:
            await wait_until(pilot, lambda: text in visible_text(chat), what=text)
            return visible_text(chat)

        said = await chat_says("changed amount from 40.0 to 35.0")
        assert "decision: An operator approved Refund order with changes" in said
        assert "result of Refund order: Refunded 35.00" in said
        assert "operator: An operator rejected" not in said
        assert "refund_order" not in said  # friendly tool titles, not internal names
        chat._switch_to(deletion.thread_id, reload=True)
        said = await chat_says("rejected Delete customer database: needs a change request")
        assert "result of Delete customer database: An operator rejected" in said
        chat._switch_to(plan.thread_id, reload=True)
        await chat_says(f"removed step 3 ({steps[2][:38]}")
        labels = [label for label, _ in app.query_one("#tickets")._options]
        assert any("Please refund order 1234" in str(label) for label in labels)


async def test_screenshot_goes_to_the_configured_folder_and_says_where(hub, tmp_path):
    folder = tmp_path / "shots"
    settings = hub.settings.model_copy(update={"screenshot_dir": folder})
    app = HitlApp(settings, "admin", hub=hub)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        app.deliver_screenshot()
        await wait_until(pilot, lambda: any(folder.glob("*.svg")), what="the file")
        [saved] = folder.glob("*.svg")
        def path_shown() -> bool:  # the toast wraps the path over its lines
            toast = [line.partition("▌")[2] for line in screen_text(app).splitlines()]
            return str(saved) in "".join(part.strip(" │─╯") for part in toast)

        await wait_until(pilot, path_shown, what="the path shown")
