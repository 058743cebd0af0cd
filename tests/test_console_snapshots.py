"""Snapshot tests of the main screens at fixed sizes: layout, not logic. Every kind is shown
opened, at the smallest supported terminal (80x24) and a roomy one (160x45)."""

from __future__ import annotations

import pytest

from hitl_tui.console.app import HitlApp
from hitl_tui.console.inbox_table import InboxTable
from hitl_tui.console.status_bar import StatusBar
from hitl_tui.hitl.conversation import ask
from hitl_tui.runtime import Hub
from tests.console_helpers import visible_text, wait_until
from tests.frozen import FROZEN_URI, freeze_thread_times, frozen_clock

QUESTIONS = {
    "query": ("t-ssl-0001", "How do I configure SSL certificates for nginx?"),
    "approval": ("t-refund-77", "Please refund order 1234, $40, it arrived broken"),
    "plan": ("t-migrate-eu", "Please migrate my account to the EU region"),
}
GRAPHS = {"batched": "t-batched-01", "agent_inbox": "t-inbox-0001"}
SIZES = [(80, 24), (160, 45)]


@pytest.fixture
def waiting_ticket(hub):
    asked = ask(hub, "How do I configure SSL certificates for nginx?", "t-ssl-0001")
    freeze_thread_times(hub.store, asked.thread_id)
    return asked.thread_id


def _ticket_of_kind(hub, settings, kind: str) -> str:
    if kind in QUESTIONS:
        thread_id, question = QUESTIONS[kind]
        ask(hub, question, thread_id)
    else:
        thread_id = GRAPHS[kind]
        graph_hub = Hub(settings, graph_spec=f"tests.graphs_hitl:{kind}")
        try:
            state = {"messages": [{"role": "user", "content": "go"}], "log": []}
            graph_hub.graph.invoke(state, {"configurable": {"thread_id": thread_id}})
        finally:
            graph_hub.close()
    freeze_thread_times(hub.store, thread_id)
    return thread_id


def _steady(app: HitlApp) -> None:
    app.query_one(StatusBar).database = FROZEN_URI
    for indicator in app.query("LoadingIndicator"):
        indicator.display = False
    for editor in app.query("TextArea, Input"):
        editor.cursor_blink = False  # a blinking cursor would make the picture flicker


async def _open_and_settle(app: HitlApp, pilot) -> None:
    table = app.query_one(InboxTable)
    await wait_until(pilot, lambda: table.row_count == 1, what="ticket")
    table.focus()
    await wait_until(pilot, lambda: table.has_focus, what="the inbox focused")
    await pilot.press("enter")
    await wait_until(
        pilot,
        lambda: "claimed by you" in visible_text(app.query_one("#detail-head")),
        what="the claim shown in the detail",
    )
    await wait_until(
        pilot,
        lambda: "Interrupt payload" in visible_text(app.query_one("#detail-body")),
        what="the decoded ticket",
    )
    pane, detail = app.query_one("OperatorPane"), app.query_one("TicketDetail")
    await wait_until(  # the inbox and the detail both know of the claim: nothing moves now
        pilot,
        lambda: pane.ticket.item.claimed_by == "alice" and detail.claimed_by == "alice",
        what="the claim in the inbox",
    )
    await app.workers.wait_for_complete()
    _steady(app)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("kind", [*QUESTIONS, *GRAPHS])
def test_opened_ticket_of_each_kind(snap_compare, hub, settings, kind, size):
    _ticket_of_kind(hub, settings, kind)
    app = HitlApp(hub.settings, "admin", hub=hub, clock=frozen_clock)

    async def open_ticket(pilot):
        await _open_and_settle(app, pilot)

    assert snap_compare(app, run_before=open_ticket, terminal_size=size)


def test_both_panes_with_an_open_ticket(snap_compare, hub, waiting_ticket):
    app = HitlApp(hub.settings, "both", thread_id=waiting_ticket, hub=hub, clock=frozen_clock)

    async def open_ticket(pilot):
        await _open_and_settle(app, pilot)

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
