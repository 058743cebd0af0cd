"""`--server URL`: the commands against a real `langgraph dev` Agent Server.

The server is tests/agent_server_fixtures.py's, shared by the session. The graph's own
state is checked through the SDK afterwards, not only exit codes.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from hitl_tui.errors import HitlError
from hitl_tui.hitl import audit, claims
from hitl_tui.hitl.kinds import APPROVE, Decision
from hitl_tui.sources.agent_server import AgentServerSource
from hitl_tui.sources.server_errors import ServerRefused
from tests.agent_server_fixtures import server_desk, started
from tests.agent_server_launch import free_port, offline_env
from tests.conftest import run_cli


def cli_json(args: list[str], env: dict[str, str]) -> object:
    done = run_cli([*args, "--json"], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


def test_seed_question_is_listed_decoded_and_answered(env, sdk, hub, source):
    asked = cli_json(["ask", "How do I configure SSL for nginx?", "--assistant", "seed"], env)
    assert asked["status"] == "waiting" and asked["answer"] is None
    thread = asked["thread_id"]

    [item] = [i for i in cli_json(["pending"], env) if i["thread_id"] == thread]
    assert item["kind"] == "query" and item["value"] == {
        "query": "How do I configure SSL for nginx?"
    }
    assert item["graph_id"] == "seed" and item["assistant_id"]
    assert item["tool_calls"][0]["name"] == "human_assistance"
    assert item["claimed_by"] is None

    answered = cli_json(["resume", thread, "--data", "Run certbot --nginx"], env)
    assert answered["status"] == "answered" and "Run certbot --nginx" in answered["answer"]

    state = sdk.threads.get_state(thread)
    assert state["next"] == [] and state["tasks"] == []
    assert [m["type"] for m in state["values"]["messages"]] == ["human", "ai", "tool", "ai"]
    assert state["values"]["messages"][2]["content"] == "Run certbot --nginx"

    shown = cli_json(["show", thread], env)
    assert shown["pending"] == [] and shown["next"] == []
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant", "tool", "assistant"]
    [entry] = outcomes(hub, thread)
    assert entry["event"] == "resumed" and entry["operator"] == "bob"
    assert thread not in {i.thread_id for i in source.pending()}


def test_two_parallel_interrupts_are_answered_one_by_one(env, sdk, source):
    thread = started(sdk, "parallel", {"log": []})
    items = [i for i in cli_json(["pending"], env) if i["thread_id"] == thread]
    assert sorted(i["value"]["query"] for i in items) == [
        "Approve branch a?",
        "Approve branch b?",
    ]

    unchosen = run_cli(["resume", thread, "--data", "yes"], env)
    assert unchosen.returncode == 2 and "--interrupt" in one_line_error(unchosen)

    by_node = {p.node: p.interrupt_id for p in source.thread(thread).pending}
    assert set(by_node) == {"branch_a", "branch_b"}

    first = cli_json(["resume", thread, "--interrupt", by_node["branch_a"], "--data", "yes a"], env)
    assert first["status"] == "waiting"
    assert [p["interrupt_id"] for p in first["pending"]] == [by_node["branch_b"]]
    state = sdk.threads.get_state(thread)
    assert [t["name"] for t in state["tasks"] if t["interrupts"]] == ["branch_b"]

    again = run_cli(["resume", thread, "--interrupt", by_node["branch_a"], "--data", "x"], env)
    assert again.returncode == 4 and "already answered by bob" in one_line_error(again)

    second = cli_json(
        ["resume", thread, "--interrupt", by_node["branch_b"], "--data", "yes b"], env
    )
    assert second["status"] == "answered"
    state = sdk.threads.get_state(thread)
    assert state["next"] == []
    assert sorted(state["values"]["log"]) == ["a: yes a", "b: yes b"]


def test_a_claimed_ticket_waits_for_release_then_runs_the_edited_action(
    env, sdk, source, hub, settings, agent_server
):
    thread = started(sdk, "approval", {"target": "edit-me"})
    [item] = [i for i in source.pending() if i.thread_id == thread]
    assert item.kind == "approval" and item.value["args"] == {"db_name": "edit-me"}
    claims.acquire(hub.store, thread, item.interrupt_id, "carol", 60)
    with server_desk(settings, agent_server) as desk:
        [item] = [i for i in desk.pending() if i.thread_id == thread]
    assert item.claimed_by == "carol"

    blocked = run_cli(["resume", thread, "--approve"], env)
    assert blocked.returncode == 4 and "claimed by carol" in one_line_error(blocked)
    assert sdk.threads.get_state(thread)["tasks"][0]["interrupts"]

    assert run_cli(["release", thread], env).returncode == 0
    cli_json(["resume", thread, "--edit", '{"db_name": "edited-instead"}'], env)
    assert sdk.threads.get_state(thread)["values"]["outcome"] == "dropped edited-instead"
    assert "dropped edit-me" not in agent_server.effects_lines()


def test_middleware_batch_is_approved_as_a_whole(env, sdk, agent_server):
    shown: list = []
    batched = AgentServerSource(agent_server.url, agent_server.key, assistant="batched")
    asked = batched.ask("tidy up", None, on_message=shown.append)
    batched.close()
    assert [m.type for m in shown] == ["human", "ai"]
    assert [c["name"] for c in shown[1].tool_calls] == ["send_email", "wipe_disk"]
    thread = asked.thread_id
    [item] = asked.pending
    assert item.kind == "hitl_request" and item.graph_id == "batched"

    cli_json(["resume", thread, "--approve"], env)
    messages = sdk.threads.get_state(thread)["values"]["messages"]
    tools = [m["content"] for m in messages if m["type"] == "tool"]
    assert tools == ["sent to a@example.com", "wiped /dev/sda"]


def test_eight_concurrent_resumers_run_the_action_once(settings, sdk, hub, agent_server):
    """Eight operators, each with its own database connection and HTTP client, approve
    at the same instant: the claim in the database lets exactly one run the action."""
    thread = started(sdk, "approval", {"target": "raced-db"})
    barrier = threading.Barrier(8)

    def racer(n: int) -> int:
        with server_desk(settings, agent_server) as desk:
            try:
                barrier.wait(timeout=30)
                desk.decide(thread, Decision(APPROVE), f"op{n}")
                return 0
            except HitlError as error:
                return error.exit_code

    with ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(racer, range(8)))
    assert codes == [0] + [4] * 7
    assert agent_server.effects_lines().count("dropped raced-db") == 1
    assert sdk.threads.get_state(thread)["values"]["outcome"] == "dropped raced-db"
    assert [e["event"] for e in outcomes(hub, thread)] == ["resumed"]


def test_a_long_action_stays_claimed_until_it_ends_even_across_a_reconnect(
    env, sdk, hub, settings, agent_server
):
    """Dave's client times out mid-run and reconnects; meanwhile Erin is refused, and the
    action runs once."""
    thread = started(sdk, "approval", {"target": "slow-db"})
    impatient = server_desk(settings, agent_server, run_timeout=1)
    with ThreadPoolExecutor(1) as pool, pytest.warns(UserWarning, match="reconnect"):
        dave = pool.submit(impatient.decide, thread, Decision(APPROVE), "dave")
        wait_for(lambda: any(r["status"] == "running" for r in sdk.runs.list(thread)))

        erin = run_cli(["resume", thread, "--approve", "--operator", "erin"], env)
        assert erin.returncode == 4 and "dave" in one_line_error(erin)

        agent_server.effects.with_name("slow-db.go").touch()
        assert dave.result(timeout=60).still_pending == []
    impatient.close()
    assert agent_server.effects_lines().count("dropped slow-db") == 1
    assert [e["operator"] for e in outcomes(hub, thread)] == ["dave"]


def outcomes(hub, thread: str) -> list[dict]:
    """How each attempt on `thread` ended, from the audit chain."""
    return [e for e in audit.history(hub.store, thread) if e["event"] in ("resumed", "failed")]


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_a_failing_run_exits_1_and_is_audited_as_failed(env, sdk, hub):
    thread = started(sdk, "approval", {"target": "explode"})
    done = run_cli(["resume", thread, "--approve"], env)
    assert done.returncode == 1
    assert "the database refused" in one_line_error(done)
    [entry] = outcomes(hub, thread)
    assert entry["event"] == "failed"
    assert sdk.threads.get(thread)["status"] == "error"


def test_unknown_assistant_exits_3_naming_the_graphs(env):
    done = run_cli(["ask", "hello", "--assistant", "no-such-graph"], env)
    assert done.returncode == 3
    assert "approval, batched, parallel, seed" in one_line_error(done)


def test_missing_key_is_refused_with_one_line_naming_the_variable(env):
    del env["LANGGRAPH_API_KEY"]
    done = run_cli(["pending"], env)
    assert done.returncode == 2
    line = one_line_error(done)
    assert "401" in line and "LANGGRAPH_API_KEY" in line


def test_a_wrong_key_is_refused_and_never_printed(source, agent_server):
    wrong = AgentServerSource(agent_server.url, "sk-wrong-secret")
    with pytest.raises(ServerRefused) as refused:
        wrong.pending()
    wrong.close()
    assert refused.value.exit_code == 2 and "sk-wrong-secret" not in str(refused.value)


def test_server_down_exits_5_with_one_line(cli_env):
    env = offline_env(cli_env)
    env["LANGGRAPH_SERVER_URL"] = f"http://user:pw@127.0.0.1:{free_port()}"
    done = run_cli(["pending"], env)
    assert done.returncode == 5
    line = one_line_error(done)
    assert "unreachable" in line and "pw" not in line


def test_hostile_text_from_the_server_is_shown_inert(env, sdk):
    hostile = "evil \x1b]0;pwned\x07 \x1b[2J\u202e"
    thread = started(sdk, "seed", {"messages": [{"role": "user", "content": hostile}]})
    done = run_cli(["show", thread], env)
    assert done.returncode == 0
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout
    assert "\\x1b" in done.stdout


def test_a_static_breakpoint_is_a_ticket_continued_after_an_update(env, sdk):
    thread = sdk.threads.create()["thread_id"]
    sdk.runs.wait(thread, "approval", input={"target": "paused-db"}, interrupt_before=["confirm"])
    [item] = [i for i in cli_json(["pending"], env) if i["thread_id"] == thread]
    assert item["kind"] == "breakpoint" and item["value"]["next"] == ["confirm"]

    refused = run_cli(["resume", thread, "--approve"], env)
    assert refused.returncode == 2 and "--continue" in one_line_error(refused)
    resumed = cli_json(["resume", thread, "--continue", "--update", '{"target": "other-db"}'], env)
    assert resumed["status"] == "waiting"
    [waiting] = resumed["pending"]
    assert waiting["kind"] == "approval" and waiting["value"]["args"] == {"db_name": "other-db"}
    state = sdk.threads.get_state(thread)
    assert state["values"]["target"] == "other-db" and state["next"] == ["confirm"]
    assert state["tasks"][0]["interrupts"][0]["id"] == waiting["interrupt_id"]


def test_the_console_refuses_to_start_on_a_refused_key_or_an_unknown_assistant(env):
    """What only the operator can fix ends `hitl-tui admin` before it takes the terminal."""
    unknown = run_cli(["admin", "--assistant", "no-such-graph"], env)
    assert unknown.returncode == 3
    assert "approval, batched, parallel, seed" in one_line_error(unknown)
    del env["LANGGRAPH_API_KEY"]
    refused = run_cli(["admin"], env)
    assert refused.returncode == 2
    line = one_line_error(refused)
    assert "401" in line and "LANGGRAPH_API_KEY" in line
