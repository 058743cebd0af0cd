"""`--server`: listing past the server's page size, and `hitl-tui watch` polling the server."""

from __future__ import annotations

from tests.agent_server_fixtures import started
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
