"""On call: deadlines on tickets (HITL_SLA) and the events a watcher delivers."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from langgraph.checkpoint.mongodb import MongoDBSaver

from hitl_tui.db.embedded import EmbeddedServer
from hitl_tui.hitl.inbox import Inbox
from hitl_tui.hitl.sinks import WebhookOutput
from hitl_tui.hitl.sla import OverdueTracker, SlaError, by_urgency, parse_sla, stamp
from hitl_tui.runtime import Hub
from hitl_tui.settings import Settings
from tests.conftest import run_cli
from tests.graphs_oncall import answer_ticket, open_ticket
from tests.oncall_helpers import Receiver, Recorder, running, wait_for


@pytest.fixture
def saver(hub):
    return MongoDBSaver(hub.connection.client, hub.settings.db_name)


def test_sla_reads_kinds_and_a_default():
    policy = parse_sla("query=15m, approval=5m,*=1h30m")
    assert policy.allowance("query") == 900
    assert policy.allowance("approval") == 300
    assert policy.allowance("plan") == 5400
    assert not parse_sla("") and not parse_sla(None)
    assert parse_sla("approval=90s").allowance("query") is None


@pytest.mark.parametrize(
    "text", ["query", "query=", "query=15", "query=0m", "approvel=5m", "q=1m,q=2m", "*=1m,*=2m"]
)
def test_bad_sla_values_are_refused(text):
    with pytest.raises(SlaError):
        parse_sla(text)


def test_a_bad_sla_setting_exits_2_with_one_line(cli_env):
    result = run_cli(["pending"], {**cli_env, "HITL_SLA": "approval=soon"})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "HITL_SLA" in result.stderr
    assert "Traceback" not in result.stderr


def test_pending_json_has_deadlines_and_lists_the_most_urgent_first(hub, saver, cli_env):
    open_ticket(saver, "t-query", "Which plan?", kind="query")
    open_ticket(saver, "t-approval", "Refund $30", kind="approval")
    env = {**cli_env, "HITL_SLA": "query=1h,approval=2s"}
    items = json.loads(run_cli(["pending", "--json"], env).stdout)
    assert [i["thread_id"] for i in items] == ["t-approval", "t-query"]
    for item, allowance in zip(items, (2, 3600), strict=True):
        created = datetime.fromisoformat(item["created_at"])
        assert datetime.fromisoformat(item["due_at"]) == created + timedelta(seconds=allowance)
        assert item["overdue"] == (item["age_seconds"] >= allowance)
    shown = json.loads(run_cli(["show", "t-query", "--json"], env).stdout)
    assert shown["pending"][0]["due_at"] == items[1]["due_at"]
    text = run_cli(["pending"], {**cli_env, "HITL_SLA": "*=1s"}).stdout
    assert text.count("OVERDUE by") == 2  # a word, not colour alone
    plain = json.loads(run_cli(["pending", "--json"], cli_env).stdout)
    assert [(i["due_at"], i["overdue"]) for i in plain] == [(None, False)] * 2


def test_a_ticket_becomes_overdue_once_for_the_console(hub, saver):
    open_ticket(saver, "t-late", kind="query")
    open_ticket(saver, "t-calm", kind="approval")
    items = by_urgency(stamp(Inbox(hub.store).refresh(), parse_sla("query=1s,approval=1h")))
    tracker = OverdueTracker()
    created = items[0].created_at
    assert tracker.newly_overdue(items, created) == []
    later = created + timedelta(seconds=5)
    assert [i.thread_id for i in tracker.newly_overdue(items, later)] == ["t-late"]
    assert tracker.newly_overdue(items, later + timedelta(seconds=5)) == []


def test_new_overdue_and_answered_each_fire_once_even_across_a_restart(hub, saver):
    first = Recorder()
    policy = parse_sla("query=1s")
    with running(hub.store, [first], policy=policy):
        open_ticket(saver, "t-1")
        open_ticket(saver, "t-2")
        wait_for(lambda: len(first.of("overdue")) == 2, what="two overdue events")
        answer_ticket(saver, "t-1")
        wait_for(lambda: first.of("answered"), what="the answer")
        open_ticket(saver, "t-3", kind="approval")  # more passes, no new deadline
        wait_for(lambda: len(first.of("new")) == 3, what="the third ticket")
    second = Recorder()
    with running(hub.store, [second], policy=policy):
        open_ticket(saver, "t-4", kind="approval")
        wait_for(lambda: second.of("new"), what="a ticket after the restart")
    events = first.events + second.events
    counts = {
        kind: sorted(e["thread_id"] for e in events if e["type"] == kind)
        for kind in ("new", "overdue", "answered")
    }
    assert counts == {
        "new": ["t-1", "t-2", "t-3", "t-4"],
        "overdue": ["t-1", "t-2"],
        "answered": ["t-1"],
    }
    assert len({e["id"] for e in events}) == len(events)
    late = first.of("overdue")[0]
    assert late["due_at"] and late["text"].startswith("[hitl] query ticket")


def test_webhook_retries_bad_statuses_and_a_slow_receiver_without_duplicates(hub, saver):
    receiver = Receiver(secret="s3cret", statuses=[500, 503, 429])
    receiver.delay = 0.5
    stdout = Recorder()
    webhook = WebhookOutput(receiver.url, "s3cret", timeout=5)
    warnings: list[str] = []
    try:
        with running(hub.store, [stdout, webhook], warn=warnings.append):
            for n in range(3):
                open_ticket(saver, f"t-hook-{n}", text=f"<!channel> help {n}")
            wait_for(lambda: len(receiver.accepted()) == 3, what="three webhooks accepted")
            wait_for(lambda: len(stdout.events) == 3, what="three lines")
    finally:
        receiver.close()
    assert sorted(receiver.accepted()) == sorted(e["id"] for e in stdout.events)
    assert len(receiver.requests) == 6  # three refused, each retried until accepted
    assert len(warnings) == 3 and "HTTP 500" in warnings[0]
    assert all("127.0.0.1" in w and "/hooks/" not in w for w in warnings)  # URL is a secret
    assert all(r["signed_ok"] for r in receiver.requests)
    body = receiver.requests[-1]["body"]
    assert body["type"] == "new" and "&lt;!channel&gt;" in body["text"]
    assert "<!channel>" not in body["text"]


def test_two_watchers_share_the_events_and_deliver_each_once(hub, saver):
    left, right = Recorder(), Recorder()
    with running(hub.store, [left]), running(hub.store, [right]):
        for n in range(8):
            open_ticket(saver, f"t-share-{n}")
        wait_for(lambda: len(left.events) + len(right.events) >= 8, what="eight deliveries")
        answer_ticket(saver, "t-share-0")  # a sentinel: every earlier event is out by now
        wait_for(lambda: left.of("answered") + right.of("answered"), what="the sentinel")
    news = [e["thread_id"] for e in left.of("new") + right.of("new")]
    assert sorted(news) == sorted(f"t-share-{n}" for n in range(8))


def test_a_server_stop_and_start_in_the_middle_loses_nothing(tmp_path):
    server = EmbeddedServer(tmp_path / "private")
    uri = server.ensure_running()
    settings = Settings(
        _env_file=None, mongodb_uri=uri, db_name="outage", connect_timeout_seconds=1
    )
    hub = Hub(settings)
    saver = MongoDBSaver(hub.connection.client, "outage")
    seen = Recorder()
    warnings: list[str] = []
    try:
        with running(hub.store, [seen], warn=warnings.append):
            open_ticket(saver, "t-before")
            wait_for(lambda: seen.of("new"), what="the first ticket")
            server.stop()
            wait_for(lambda: warnings, what="the watcher noticing the outage")
            assert server.ensure_running() == uri
            open_ticket(saver, "t-after-1")
            open_ticket(saver, "t-after-2")
            answer_ticket(saver, "t-before")
            wait_for(lambda: len(seen.events) == 4, timeout=40, what="catching up")
    finally:
        hub.close()
        server.stop()
    assert "database reachable again" in warnings
    assert sorted((e["type"], e["thread_id"]) for e in seen.events) == [
        ("answered", "t-before"),
        ("new", "t-after-1"),
        ("new", "t-after-2"),
        ("new", "t-before"),
    ]


def test_deadlines_are_stamped_from_created_at():
    class Item:
        kind = "query"
        created_at = datetime(2026, 1, 1, tzinfo=UTC)

    (item,) = stamp([Item()], parse_sla("*=10m"))
    assert item.due_at == datetime(2026, 1, 1, 0, 10, tzinfo=UTC)


async def test_the_console_toasts_and_rings_once_per_overdue_ticket(hub, saver):
    from hitl_tui.console.app import HitlApp
    from hitl_tui.console.inbox_table import InboxTable
    from tests.console_helpers import wait_until

    class Recording(HitlApp):
        CSS_PATH = str(Path(sys.modules[HitlApp.__module__].__file__).with_name("app.tcss"))

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.toasts: list[str] = []
            self.bells = 0

        def notify(self, message, *args, **kwargs):
            self.toasts.append(str(message))
            return super().notify(message, *args, **kwargs)

        def bell(self):
            self.bells += 1

    settings = hub.settings.model_copy(update={"sla": "query=1s", "bell": True})
    open_ticket(saver, "t-first")
    operator_hub = Hub(settings)
    app = Recording(settings, "admin", hub=operator_hub)
    async with app.run_test(size=(120, 34)) as pilot:
        table = app.query_one(InboxTable)
        late = lambda: [t for t in app.toasts if t.startswith("Overdue")]  # noqa: E731
        await wait_until(pilot, lambda: len(late()) == 1, what="the first overdue toast")
        open_ticket(saver, "t-second")
        await wait_until(pilot, lambda: len(late()) == 2, what="the second overdue toast")
        assert late() == ["Overdue: t-first", "Overdue: t-second"]
        cells = [str(table.get_row(key)[0]) for key in table.items]
        assert all(cell.startswith("!") for cell in cells)  # a marker, not colour alone
    operator_hub.close()
    assert app.bells == 3  # one new ticket, two overdue


def test_an_interrupted_attempt_and_a_lost_claim_are_announced_once_each(hub, saver):
    from hitl_tui.hitl import events

    open_ticket(saver, "t-stuck")
    hub.store.audit.insert_one({"_id": 1, "event": "started"})  # history is not news
    items = stamp(Inbox(hub.store).refresh(), parse_sla(None))
    assert events.detect(hub.store, items) == 1  # new
    attempt = {"operator": "alice", "decision": "respond", "started_at": "2026-11-26T23:00:00"}
    items[0].interrupted_attempt = attempt
    hub.store.audit.insert_one(
        {
            "_id": 2,
            "event": "claim-lost",
            "operator": "bob",
            "thread_id": "t-stuck",
            "interrupt_id": items[0].interrupt_id,
            "attempt": "token-1",
            "error": "lost the claim before resuming",
        }
    )
    assert events.detect(hub.store, items) == 2
    assert events.detect(hub.store, items) == 0
    recorded = {doc["type"]: doc["event"] for doc in events.events_of(hub.store).find()}
    assert recorded["interrupted_attempt"]["operator"] == "alice"
    assert recorded["claim_lost"]["operator"] == "bob"
    assert recorded["claim_lost"]["summary"] == "Help me"
    assert "had a claim lost by bob" in recorded["claim_lost"]["text"]


def test_a_watcher_on_mongodb_sees_an_attempt_that_stopped_mid_action(hub, saver):
    """The whole way: a resume claims the ticket, starts acting and its process dies (the
    lease runs out in the resuming state); the watcher's own inbox read must see it."""
    from hitl_tui.hitl import claims

    open_ticket(saver, "t-crashed")
    [item] = Inbox(hub.store).refresh()
    seen = Recorder()
    with running(hub.store, [seen]):
        wait_for(lambda: seen.of("new"), what="the ticket")
        claim = claims.acquire(hub.store, "t-crashed", item.interrupt_id, "alice", 60)
        assert claims.start_resuming(hub.store, claim, "respond", lease_seconds=0.2)
        wait_for(lambda: seen.of("interrupted_attempt"), what="the interrupted attempt")
    [event] = seen.of("interrupted_attempt")
    assert event["thread_id"] == "t-crashed" and "alice" in event["text"]


def test_a_watcher_started_during_an_outage_waits_and_then_catches_up(tmp_path):
    import threading

    from hitl_tui.db.client import connect
    from hitl_tui.hitl.delivery import DeliveryLog
    from hitl_tui.hitl.events import EVENT_TYPES
    from hitl_tui.hitl.notifier import Notifier
    from hitl_tui.hitl.store import Store

    server = EmbeddedServer(tmp_path / "private")
    uri = server.ensure_running()
    server.stop()
    settings = Settings(_env_file=None, mongodb_uri=uri, db_name="late", connect_timeout_seconds=1)
    connection = connect(settings, ping=False)
    store = Store(connection.client, "late")
    seen, warnings = Recorder(), []
    notifier = Notifier(
        store,
        [seen],
        DeliveryLog(store, "g", EVENT_TYPES, 5),
        parse_sla(None),
        poll_seconds=0.2,
        safety_seconds=1.0,
        warn=warnings.append,
    )
    thread = threading.Thread(target=notifier.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: warnings, what="the outage to be reported")
        assert server.ensure_running() == uri
        assert notifier.wait_ready(30)
        open_ticket(MongoDBSaver(connection.client, "late"), "t-late-start")
        wait_for(lambda: seen.of("new"), what="the ticket after the outage")
    finally:
        notifier.stop()
        thread.join(10)
        connection.close()
        server.stop()
    assert warnings[0].startswith("database unreachable")
