"""`--server`: listing past the server's page size, `hitl-tui watch` polling the server, and
an open ticket followed by its thread's stream."""

from __future__ import annotations

import threading
import time

from hitl_tui.hitl.kinds import APPROVE, RESPOND, Decision
from tests.agent_server_fixtures import server_desk, started
from tests.conftest import run_cli
from tests.oncall_helpers import wait_for
from tests.test_watch_cli import Watcher


def test_pending_pages_by_offset_past_one_page(sdk, source):
    threads = {started(sdk, "approval", {"target": f"paged-{n}"}) for n in range(5)}
    source.page = 2  # the server's largest page is 1000; the paging is the same
    items = source.pending()
    keys = [(i.thread_id, i.interrupt_id) for i in items]
    assert len(keys) == len(set(keys))
    assert threads <= {i.thread_id for i in items}
    assert len(items) > 2 * source.page


def test_watch_announces_a_server_ticket_and_who_answered_it(sdk, env):
    watcher = Watcher(["--events", "new,answered"], {**env, "HITL_POLL_SECONDS": "0.2"})
    try:
        thread = started(sdk, "approval", {"target": "watched-db"})

        def ours(kind: str) -> list[dict]:
            return [e for e in watcher.lines if e["thread_id"] == thread and e["type"] == kind]

        wait_for(lambda: ours("new"), what="the new ticket")
        [new] = ours("new")
        assert new["kind"] == "approval" and "watched-db" in new["summary"]
        resumed = run_cli(["resume", thread, "--approve"], env)
        assert resumed.returncode == 0, resumed.stderr
        wait_for(lambda: ours("answered"), what="the answer")
        [answered] = ours("answered")
        assert answered["operator"] == "bob"
        watcher.stop()
    finally:
        watcher.process.kill()
    assert sdk.threads.get_state(thread)["values"]["outcome"] == "dropped watched-db"


def test_watch_with_a_refused_key_exits_2_naming_the_variable(env):
    del env["LANGGRAPH_API_KEY"]
    done = run_cli(["watch"], env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "LANGGRAPH_API_KEY" in done.stderr


def test_an_open_ticket_follows_its_thread_stream_and_stops_at_once(sdk, settings, agent_server):
    thread = started(sdk, "approval", {"target": "followed-db"})
    changed = threading.Event()
    with server_desk(settings, agent_server) as desk:
        follower = desk.follow(thread, changed.set)
        try:
            assert follower.wait_ready(10) is True
            assert not changed.is_set()  # nothing replayed from before
            with server_desk(settings, agent_server) as erin:
                erin.decide(thread, Decision(APPROVE), "erin")
            assert changed.wait(10), "no event from the thread's stream"
            assert desk.thread(thread).pending == []
        finally:
            started_at = time.monotonic()
            follower.stop(timeout=5)
        assert not follower.running and time.monotonic() - started_at < 2


def test_a_tickets_age_survives_an_answer_to_its_sibling(sdk, source, settings, agent_server):
    """The server stamps only the thread: answering one of two interrupts must not make
    the other look new in the same inbox."""
    thread = started(sdk, "parallel", {"log": []})
    first = {i.interrupt_id: i for i in source.pending() if i.thread_id == thread}
    [a] = [i for i in first.values() if i.value == {"query": "Approve branch a?"}]
    with server_desk(settings, agent_server) as desk:
        desk.decide(thread, Decision(RESPOND, text="yes"), "bob", a.interrupt_id)
    [b] = [i for i in source.pending() if i.thread_id == thread]
    assert sdk.threads.get(thread)["updated_at"] > b.created_at.isoformat()
    assert b.created_at == first[b.interrupt_id].created_at
