"""Listed tickets: the plain preview a console paints before LangGraph is loaded.

Each promise is attacked: the oldest tickets are the ones listed and an answered one goes;
entries another program forged or garbled are left out; a forged listing never outlives the
console's first read, never opens, and its text is shown as text.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

from textual.app import App

from hitl_tui.console.app import HitlApp
from hitl_tui.console.inbox_table import InboxTable
from hitl_tui.console.operator_pane import OperatorPane
from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.desk import Desk
from hitl_tui.hitl.inbox import Inbox
from hitl_tui.hitl.kinds import RESPOND, Decision
from hitl_tui.hitl.listing import PER_ENTRY, SUMMARY_CHARS, ListedTicket, read_listed
from hitl_tui.hitl.resume import resume
from hitl_tui.runtime import Hub
from tests.console_helpers import wait_until


def _listed(hub) -> list[tuple]:
    return [
        (t.thread_id, t.interrupt_id, t.kind, t.summary, t.created_at)
        for t in read_listed(hub.store)
    ]


def _as_listed(items) -> list[tuple]:
    from hitl_tui.hitl.listing import summary_of

    def ms(when: datetime) -> datetime:  # BSON keeps milliseconds
        return when.replace(microsecond=when.microsecond // 1000 * 1000)

    return [(i.thread_id, i.interrupt_id, i.kind, summary_of(i), ms(i.created_at)) for i in items]


def test_a_refresh_lists_the_oldest_open_tickets_and_drops_answered_ones(hub, monkeypatch):
    monkeypatch.setattr("hitl_tui.hitl.inbox.LISTED_OLDEST", 2)
    first, second, third = (ask(hub, f"question {n} for a human") for n in range(3))
    inbox = Inbox(hub.store)
    items = inbox.refresh()
    assert [i.thread_id for i in items] == [first.thread_id, second.thread_id, third.thread_id]
    assert _listed(hub) == _as_listed(items[:2])

    resume(hub, first.thread_id, Decision(RESPOND, text="done"), "al")
    items = inbox.refresh()
    assert _listed(hub) == _as_listed(items) == _as_listed(items[:2])
    assert first.thread_id not in {t[0] for t in _listed(hub)}
    closed = hub.store.inbox.find_one({"thread_id": first.thread_id})
    assert closed["state"] == "closed" and "listing" not in closed and "listed" not in closed


def _entry(_id: str, thread_id, listing, checkpoint_id="1", state="open") -> dict:
    """An inbox entry as anyone with write access to the database could leave it."""
    return {
        "_id": _id,
        "thread_id": thread_id,
        "checkpoint_id": checkpoint_id,
        "state": state,
        "listing": listing,
        "listed": "forged",
    }


def test_forged_and_garbled_listings_are_left_out(hub):
    now = datetime.now(UTC)
    good = {"interrupt_id": "i1", "kind": "query", "summary": "x" * 5000, "created_at": now}
    hub.store.inbox.insert_many(
        [
            _entry("a", "ok", [good, good]),  # the same ticket twice: a duplicate row key
            _entry("b", {"$ne": 1}, [good]),
            _entry("c", "t", [good], checkpoint_id=7),
            _entry("d", "t", "nope"),
            _entry("e", "t", [7, {**good, "kind": 3}, {**good, "created_at": "x"}, {"kind": "q"}]),
            _entry("f", "closed", [good], state="closed"),
            _entry("g", "t", [{**good, "kind": "k" * 201}, {**good, "interrupt_id": "i" * 201}]),
            _entry("h", "many", [{**good, "interrupt_id": f"i{n}"} for n in range(50)]),
        ]
    )
    assert len([t for t in read_listed(hub.store) if t.thread_id == "many"]) == PER_ENTRY
    hub.store.inbox.delete_one({"_id": "h"})
    [ticket] = read_listed(hub.store)
    assert (ticket.thread_id, ticket.interrupt_id) == ("ok", "i1")
    assert abs(ticket.created_at - now) < timedelta(milliseconds=1)  # BSON keeps milliseconds
    assert len(ticket.summary) == SUMMARY_CHARS


def test_a_graph_that_encrypts_its_checkpoints_keeps_its_tickets_unlisted(settings):
    """The first read of a console started with `--graph` decodes with the graph's own
    serializer (before, it read with the default one, failed, and closed the ticket for
    good); and a listing, plain text, never keeps in the clear what the graph encrypts."""
    writer = Hub(settings, graph_spec="tests.graphs.patterns:encrypted")
    console = Desk(Hub(settings, graph_spec="tests.graphs.patterns:encrypted"))
    try:
        writer.graph.invoke({}, {"configurable": {"thread_id": "enc-1"}})
        assert writer.store.checkpoints.find_one({"thread_id": "enc-1"})["type"].endswith("+aes")
        [item] = console.pending()
        assert (item.thread_id, item.value) == ("enc-1", "Please provide feedback:")
        assert console.pending() == [item]
        assert writer.store.inbox.count_documents({"listing": {"$exists": True}}) == 0
    finally:
        writer.connection.client.drop_database(settings.db_name)
        writer.close()
        console.close()


PREVIEW = """
import json, sys
import hitl_tui.console.app
from hitl_tui.runtime import connect_and_list
from hitl_tui.settings import Settings

connection, listed = connect_and_list(Settings())
print(json.dumps([[t.thread_id, t.summary] for t in listed]))
heavy = ("langchain_core", "langgraph.checkpoint.serde.jsonplus", "langgraph.types")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr)
"""


def test_the_console_lists_tickets_without_loading_langgraph(hub, cli_env):
    """The point of listings: `hitl-tui admin` paints them before langchain-core loads."""
    asked = ask(hub, "Is the VPN down for everyone?")
    Inbox(hub.store).refresh()
    done = subprocess.run(
        [sys.executable, "-c", PREVIEW], env=cli_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[asked.thread_id, "Is the VPN down for everyone?"]]
    assert json.loads(done.stderr) == []


async def test_forged_listings_show_as_text_open_nothing_and_go_with_the_first_read(
    hub, monkeypatch
):
    """A listing someone forged on a real ticket's entry, and one for a ticket that does not
    exist: shown (as text) until the desk's first read, which replaces both."""
    asked = ask(hub, "Why was I billed twice this month?")
    Inbox(hub.store).refresh()
    forged = "[bold red]forged[/]\x1b[2J"
    [entry] = hub.store.inbox.find({"state": "open"})
    listing = [{**entry["listing"][0], "summary": forged}]
    hub.store.inbox.update_one({"_id": entry["_id"]}, {"$set": {"listing": listing}})
    ghost = {"interrupt_id": "g", "kind": "query", "summary": "ghost"}
    ghost["created_at"] = datetime.now(UTC)
    hub.store.inbox.insert_one(_entry("ghost", "ghost", [ghost], checkpoint_id="0"))

    release = threading.Event()
    from hitl_tui import runtime

    build_desk = runtime.build_desk

    def held(*args, **kwargs):
        assert release.wait(30), "the test never let the desk be built"
        return build_desk(*args, **kwargs)

    monkeypatch.setattr(runtime, "build_desk", held)
    app = HitlApp(hub.settings, "admin")  # connects by itself, as `hitl-tui admin` does
    try:
        async with app.run_test(size=(140, 30), notifications=True) as pilot:
            table = app.query_one(InboxTable)
            await wait_until(pilot, lambda: table.row_count == 2, what="the listed tickets")
            cells = " ".join(cell.plain for row in range(2) for cell in table.get_row_at(row))
            assert "[bold red]forged[/]\\x1b[2J" in cells and "\x1b" not in cells
            assert "listed, reading" in str(app.query_one("#inbox-count").render())
            await pilot.press("enter")
            await wait_until(pilot, lambda: _toasts(app, "Reading the inbox"), what="the hint")
            assert app.query_one(OperatorPane).ticket is None  # nothing opens on a listing
            await pilot.press("slash", *"ghost")
            await wait_until(pilot, lambda: "1 of 2 listed" in _count(app), what="the filter")
            await pilot.press("escape")
            await wait_until(pilot, lambda: "2 listed, reading" in _count(app), what="no filter")

            release.set()
            await wait_until(
                pilot,
                lambda: "1 pending" in str(app.query_one("#inbox-count").render()),
                what="the first read",
            )
            await wait_until(pilot, lambda: table.row_count == 1, what="the rows replaced")
            cells = " ".join(cell.plain for cell in table.get_row_at(0))
            assert asked.thread_id in cells and "Why was I billed twice this month?" in cells
            assert "forged" not in cells
    finally:
        release.set()


async def test_hostile_listings_reach_the_terminal_as_text_only(hub, monkeypatch):
    """Every attack in a forged listing's thread id, kind and summary: the bytes the
    console writes while it shows listed rows hold no raw control character."""
    from tests.test_hostile_surfaces import EVERY_ATTACK, RecordingDriver, raw_leaks

    kind = EVERY_ATTACK[:SUMMARY_CHARS]  # a longer kind is left out whole
    shown = {"interrupt_id": "i", "kind": kind, "summary": EVERY_ATTACK}
    shown["created_at"] = datetime.now(UTC)
    hub.store.inbox.insert_one(_entry("forged", f"t{EVERY_ATTACK}", [shown]))
    release = threading.Event()
    from hitl_tui import runtime

    build_desk = runtime.build_desk
    monkeypatch.setattr(
        runtime, "build_desk", lambda *a, **k: release.wait(30) and build_desk(*a, **k)
    )
    RecordingDriver.written = []
    app = HitlApp(hub.settings, "admin")
    app.driver_class = RecordingDriver
    try:
        async with app.run_test(headless=False, size=(160, 45)) as pilot:
            table = app.query_one(InboxTable)
            await wait_until(pilot, lambda: table.row_count == 1, what="the listed ticket")
            await pilot.pause(0.3)
            written = "".join(RecordingDriver.written)
            assert "listed, reading" in written
            assert not raw_leaks(written), raw_leaks(written)
            release.set()
            await wait_until(pilot, lambda: table.row_count == 0, what="the first read")
    finally:
        release.set()


def _count(app) -> str:
    return str(app.query_one("#inbox-count").render())


def _toasts(app, containing: str) -> list[str]:
    return [n.message for n in app._notifications if containing in n.message]


def test_a_date_at_the_calendars_end_has_no_deadline():
    """A listing (or a checkpoint) may carry any date: the SLA arithmetic must not
    overflow on the UI thread, where listed rows are ranked."""
    from hitl_tui.hitl.sla import parse_sla

    policy = parse_sla("query=15m")
    assert policy.due_at("query", datetime(9999, 12, 31, 23, 59, tzinfo=UTC)) is None
    now = datetime.now(UTC)
    assert policy.due_at("query", now) == now + timedelta(minutes=15)


class _TableApp(App):
    def clock(self) -> datetime:
        return datetime.now(UTC)

    def compose(self):
        yield InboxTable()


async def test_the_cursor_returns_to_its_ticket_beyond_the_first_rows():
    """Rows come a chunk per turn: redrawing every row (as the first read after listed
    rows does) must wait for the cursor's row rather than ask for one not there yet."""
    now = datetime.now(UTC)
    items = [
        ListedTicket(
            thread_id=f"t-{n:03d}",
            interrupt_id="i",
            kind="query",
            summary=f"question {n}",
            created_at=now,
            checkpoint_id=f"c{n:03d}",
        )
        for n in range(250)
    ]
    app = _TableApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(InboxTable)
        table.show_items(items, now)
        await wait_until(pilot, lambda: table.row_count == 250, what="every row")
        table.move_cursor(row=200)
        await pilot.pause()
        chosen = table.selected_key
        table.show_items(items, now, start_over=True)
        await wait_until(pilot, lambda: table.row_count == 250, what="every row again")
        await wait_until(pilot, lambda: table.selected_key == chosen, what="the cursor back")
        assert chosen.startswith("t-200")


async def test_a_bad_encryption_key_is_said_at_connect_not_in_every_read(hub, monkeypatch):
    """Serializers are made on first use; a key LangGraph refuses must still stop the desk
    (the banner says it and the console retries) rather than fail each later read."""
    monkeypatch.setenv("LANGGRAPH_AES_KEY", "short")
    app = HitlApp(hub.settings, "admin")
    async with app.run_test(size=(140, 30)) as pilot:
        banner = app.query_one("#banner")
        await wait_until(
            pilot,
            lambda: banner.display and "LANGGRAPH_AES_KEY" in str(banner.render()),
            what="the banner",
        )
