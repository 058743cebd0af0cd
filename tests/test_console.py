"""Pilot tests of the console: the whole round trip, two apps on one database, hostile text."""

from __future__ import annotations

from hitl_tui.console.app import HitlApp
from hitl_tui.console.chat_pane import ChatPane
from hitl_tui.console.inbox_table import InboxTable
from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.desk import Desk
from hitl_tui.hitl.inbox import Inbox
from hitl_tui.runtime import Hub
from tests.console_helpers import visible_text, wait_until

HOSTILE = "[bold red]boom[/] \x1b[31mred\x1b[0m $(rm -rf)"


async def _type(pilot, text: str) -> None:
    for char in text:
        await pilot.press(char if char != " " else "space")


async def test_round_trip_inside_one_app(hub):
    app = HitlApp(hub.settings, "both", hub=hub)
    async with app.run_test(size=(160, 45)) as pilot:
        chat = app.query_one(ChatPane)
        table = app.query_one(InboxTable)
        assert app.focused.id == "chat-input"
        await _type(pilot, "My VPN drops")
        await pilot.press("enter")
        await wait_until(pilot, lambda: chat.waiting_since is not None, what="escalation")
        assert "a human operator has been asked" in visible_text(chat)
        assert chat.thread_id in visible_text(chat)

        await wait_until(pilot, lambda: table.row_count == 1, what="ticket in the inbox")
        table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.focused.id == "answer", what="editor focus")
        await _type(pilot, "Restart the client")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: table.row_count == 0, what="ticket to leave the inbox")
        await wait_until(
            pilot,
            lambda: "Restart the client" in visible_text(app.query_one("#transcript")),
            what="answer in the chat",
        )
        await wait_until(pilot, lambda: chat.waiting_since is None, what="waiting to end")
    assert Inbox(hub.store).refresh() == []


async def test_two_apps_on_one_database(hub, settings):
    operator_hub = Hub(settings.model_copy(update={"operator": "olivia"}))
    user_app = HitlApp(hub.settings, "user", hub=hub)
    admin_app = HitlApp(operator_hub.settings, "admin", hub=operator_hub)
    try:
        async with (
            user_app.run_test(size=(100, 30)) as user,
            admin_app.run_test(size=(120, 34)) as admin,
        ):
            chat = user_app.query_one(ChatPane)
            table = admin_app.query_one(InboxTable)
            await _type(user, "Invoice is wrong")
            await user.press("enter")
            await wait_until(user, lambda: chat.waiting_since is not None, what="escalation")
            await wait_until(admin, lambda: table.row_count == 1, what="ticket in other app")
            await admin.press("enter")
            await wait_until(
                admin, lambda: "claimed by you" in visible_text(admin_app), what="claim"
            )
            assert Desk(hub).pending()[0].claimed_by == "olivia"
            await _type(admin, "Refund issued")
            await admin.press("ctrl+s")
            await wait_until(
                user,
                lambda: "Refund issued" in visible_text(chat),
                timeout=20,
                what="answer pushed to the user app",
            )
    finally:
        operator_hub.close()


async def test_markup_and_escapes_are_shown_literally_in_both_panes(hub):
    asked = ask(hub, HOSTILE)
    app = HitlApp(hub.settings, "both", thread_id=asked.thread_id, hub=hub)
    async with app.run_test(size=(160, 45)) as pilot:
        table = app.query_one(InboxTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="ticket")
        row = table.get_row_at(0)
        assert "[bold red]boom[/]" in row[3].plain
        assert "\\x1b[31m" in row[3].plain and "\x1b" not in row[3].plain
        operator_text = ""

        def detail_shows() -> bool:
            nonlocal operator_text
            operator_text = visible_text(app.query_one("#detail"))
            return "Conversation" in operator_text

        await wait_until(pilot, detail_shows, what="detail")
        assert "[bold red]boom[/]" in operator_text and "\x1b" not in operator_text
        chat_text = ""

        def chat_shows() -> bool:
            nonlocal chat_text
            chat_text = visible_text(app.query_one("#transcript"))
            return "boom" in chat_text

        await wait_until(pilot, chat_shows, what="transcript")
        assert "[bold red]boom[/]" in chat_text and "\\x1b[31m" in chat_text
        assert "\x1b" not in chat_text


async def test_reopening_a_thread_restores_history_and_escalation(hub):
    asked = ask(hub, "Printer on fire")
    app = HitlApp(hub.settings, "user", thread_id=asked.thread_id, hub=hub)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = app.query_one(ChatPane)
        await wait_until(pilot, lambda: "Printer on fire" in visible_text(chat), what="history")
        await wait_until(pilot, lambda: chat.waiting_since is not None, what="waiting note")
        await pilot.press("ctrl+n")
        assert chat.thread_id is None


async def test_database_unreachable_shows_banner_not_crash(settings, unused_port_uri):
    broken = settings.model_copy(
        update={"mongodb_uri": unused_port_uri, "connect_timeout_seconds": 0.3}
    )
    app = HitlApp(broken, "both")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.query_one("#banner").display, what="banner")
        assert "Database unreachable" in visible_text(app.query_one("#banner"))
        assert "hunter2" not in visible_text(app.query_one("#banner"))
        await _type(pilot, "kept")
        await pilot.press("enter")
        assert app.query_one("#chat-input").text == "kept"
