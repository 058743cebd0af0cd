"""Snapshot tests of the main screens at a fixed size: layout, not logic."""

from __future__ import annotations

import pytest

from hitl_tui.console.app import HitlApp
from hitl_tui.console.inbox_table import InboxTable
from hitl_tui.console.status_bar import StatusBar
from hitl_tui.hitl.conversation import ask
from tests.console_helpers import visible_text, wait_until
from tests.frozen import FROZEN_URI, freeze_thread_times, frozen_clock


@pytest.fixture
def waiting_ticket(hub):
    asked = ask(hub, "How do I configure SSL certificates for nginx?", "t-ssl-0001")
    freeze_thread_times(hub.store, asked.thread_id)
    return asked.thread_id


def _steady(app: HitlApp) -> None:
    app.query_one(StatusBar).database = FROZEN_URI
    for indicator in app.query("LoadingIndicator"):
        indicator.display = False


def test_both_panes_with_an_open_ticket(snap_compare, hub, waiting_ticket):
    app = HitlApp(hub.settings, "both", thread_id=waiting_ticket, hub=hub, clock=frozen_clock)

    async def open_ticket(pilot):
        table = app.query_one(InboxTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="ticket")
        table.focus()
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: "claimed by you" in str(app.query_one("#answer-status").content),
            what="claim",
        )
        await wait_until(
            pilot,
            lambda: "claimed by alice" in visible_text(app.query_one("#detail")),
            what="the claim shown in the detail",
        )
        await app.workers.wait_for_complete()
        _steady(app)
        await pilot.pause()

    assert snap_compare(app, run_before=open_ticket, terminal_size=(140, 40))


def test_user_pane_waiting_at_80x24(snap_compare, hub, waiting_ticket):
    app = HitlApp(hub.settings, "user", thread_id=waiting_ticket, hub=hub, clock=frozen_clock)

    async def wait_for_history(pilot):
        await wait_until(
            pilot, lambda: app.query_one("ChatPane").waiting_since is not None, what="waiting note"
        )
        await app.workers.wait_for_complete()
        _steady(app)
        await pilot.pause()

    assert snap_compare(app, run_before=wait_for_history, terminal_size=(80, 24))
