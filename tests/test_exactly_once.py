"""Exactly once, provably: a long action outlives its lease and still runs once; a running
resume cannot be released; a resumer killed with -9 leaves an interrupted attempt that only
`--force` takes over, and the built-in tool does not act twice; a resume that answered
nothing leaves the ticket answerable."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hitl_tui.hitl import audit, claims
from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.desk import Desk
from hitl_tui.hitl.kinds import RESPOND, Decision
from hitl_tui.hitl.snapshot import load_snapshot
from hitl_tui.runtime import Hub
from tests.conftest import run_cli

LONG = ["--graph", "tests.graphs_faults:long_action_graph"]
BUILTIN_SLOW = ["--graph", "tests.graphs_faults:builtin_slow_delete_graph"]
LEASE = 1.5


def load_thread(hub, thread_id: str):
    """The thread as an operator's desk shows it: with who holds its tickets."""
    return Desk(hub).thread(thread_id)


@pytest.fixture
def env(cli_env, tmp_path):
    log = tmp_path / "actions.log"
    log.touch()
    return {
        **cli_env,
        "ACTION_LOG": str(log),
        "BLOCK_UNTIL": str(tmp_path / "gate"),
        "HITL_CLAIM_SECONDS": str(LEASE),
    }


def _hub(settings, graph: str) -> Hub:
    return Hub(settings.model_copy(update={"claim_seconds": LEASE}), graph_spec=graph)


def _lines(env: dict) -> list[str]:
    return Path(env["ACTION_LOG"]).read_text().splitlines()


def _wait(condition, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
    return found


def _spawn(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hitl_tui", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _start_long_action(settings, env: dict, thread: str) -> tuple[Hub, subprocess.Popen]:
    hub = _hub(settings, "tests.graphs_faults:long_action_graph")
    hub.graph.invoke({"messages": []}, {"configurable": {"thread_id": thread}})
    first = _spawn(["resume", thread, "--approve", "--operator", "alice", *LONG], env)
    _wait(lambda: any(line.startswith("start") for line in _lines(env)), "the action to start")
    return hub, first


def test_a_long_action_outlives_its_lease_and_runs_once(settings, env):
    hub, first = _start_long_action(settings, env, "long")
    [claim] = hub.store.claims.find({"thread_id": "long"})
    lease_ended = claim["started_at"] + timedelta(seconds=LEASE)
    # Wait until the lease the resumer started with is long over (twice its length).
    _wait(lambda: datetime.now(UTC) > lease_ended + timedelta(seconds=LEASE), "the lease to end")
    second = run_cli(["resume", "long", "--approve", "--operator", "bob", *LONG], env)
    assert second.returncode == 4, second.stderr
    assert "being resumed by alice" in second.stderr and second.stderr.count("\n") == 1
    renewed = hub.store.claims.find_one({"thread_id": "long"})
    assert renewed["expires_at"] > datetime.now(UTC)  # the heartbeat kept it alive
    Path(env["BLOCK_UNTIL"]).touch()
    _, stderr = first.communicate(timeout=60)
    assert first.returncode == 0, stderr
    assert [line.split()[0] for line in _lines(env)] == ["start", "end"]  # ran once
    assert load_snapshot(hub.store, "long").pending == []
    events = [(e["event"], e["operator"]) for e in audit.history(hub.store, "long")]
    assert events == [("claimed", "alice"), ("started", "alice"), ("resumed", "alice")]
    hub.close()


def test_release_during_a_running_approval_is_refused(settings, env):
    hub, first = _start_long_action(settings, env, "rel")
    refused = run_cli(["release", "rel"], env)
    assert refused.returncode == 4, refused.stderr
    assert "release refused" in refused.stderr and "alice" in refused.stderr
    Path(env["BLOCK_UNTIL"]).touch()
    _, stderr = first.communicate(timeout=60)
    assert first.returncode == 0, stderr
    again = run_cli(["resume", "rel", "--approve", *LONG], env)
    assert again.returncode == 4 and "answered by alice" in again.stderr
    assert [line.split()[0] for line in _lines(env)] == ["start", "end"]
    hub.close()


def test_kill_9_mid_action_leaves_an_interrupted_attempt_that_only_force_takes_over(
    settings, env, monkeypatch
):
    from hitl_tui.agent import tools

    # The graph swaps in a slow deletion; this process gets the real one back afterwards.
    monkeypatch.setitem(
        tools.EFFECTS, "delete_customer_database", tools.EFFECTS["delete_customer_database"]
    )
    hub = _hub(settings, "tests.graphs_faults:builtin_slow_delete_graph")
    asked = ask(hub, "Please delete the customer database acme-prod")
    thread = asked.thread_id
    victim = _spawn(["resume", thread, "--approve", "--operator", "carol", *BUILTIN_SLOW], env)
    _wait(lambda: "start acme-prod" in _lines(env), "the deletion to start")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)

    def interrupted():
        [item] = load_thread(hub, thread).pending
        return item.interrupted_attempt

    _wait(interrupted, "the killed resumer's lease to run out")
    shown = json.loads(run_cli(["show", thread, "--json"], env).stdout)
    attempt = shown["pending"][0]["interrupted_attempt"]
    assert attempt["operator"] == "carol" and attempt["decision"] == "approve"
    listed = run_cli(["pending"], env)
    assert "carol started 'approve' at" in listed.stdout and "never finished" in listed.stdout
    assert json.loads(run_cli(["pending", "--json"], env).stdout)[0]["claimed_by"] is None

    refused = run_cli(["resume", thread, "--approve", *BUILTIN_SLOW], env)
    assert refused.returncode == 4
    assert "carol started 'approve' at" in refused.stderr
    assert "never finished; the action may have partly run" in refused.stderr
    assert run_cli(["release", thread], env).returncode == 4  # nor released without --force

    Path(env["BLOCK_UNTIL"]).touch()
    forced = run_cli(["resume", thread, "--approve", "--force", "--json", *BUILTIN_SLOW], env)
    assert forced.returncode == 0, forced.stderr
    assert _lines(env) == ["start acme-prod"]  # the deletion did not run a second time
    tool_says = [
        m["content"]
        for m in json.loads(run_cli(["show", thread, "--json"], env).stdout)["messages"]
        if m["role"] == "tool"
    ]
    assert len(tool_says) == 1 and "already done" in tool_says[0]
    events = [(e["event"], e["operator"]) for e in audit.history(hub.store, thread)]
    assert events[-6:] == [
        ("started", "carol"),
        ("abandoned", "bob"),
        ("forced", "bob"),
        ("claimed", "bob"),
        ("started", "bob"),
        ("resumed", "bob"),
    ]
    [abandoned] = [e for e in audit.history(hub.store, thread) if e["event"] == "abandoned"]
    assert abandoned["attempt_operator"] == "carol" and "taken over by bob" in abandoned["error"]
    assert audit.verify(hub.store).intact
    hub.close()


def test_a_send_to_a_node_the_graph_lacks_answers_nothing_and_stays_answerable(
    settings, env, monkeypatch
):
    from hitl_tui.hitl import resume as resume_module

    hub = _hub(settings, "tests.graphs_faults:send_graph")
    hub.graph.invoke({"messages": []}, {"configurable": {"thread_id": "send"}})
    without = ["--graph", "tests.graphs_faults:send_graph_without_worker"]
    refused = run_cli(["resume", "send", "--data", "go", *without], env)
    assert refused.returncode == 2 and "'worker' is not in this one" in refused.stderr
    assert hub.store.audit.count_documents({}) == 0  # refused before anything was written

    # A ticket whose node could not be named gets past that check: the graph then runs,
    # LangGraph drops the Send, and the answered interrupt is still there afterwards.
    from hitl_tui.hitl.checkpoint_source import CheckpointSource

    monkeypatch.setattr(CheckpointSource, "check_fits", lambda source, target: None)
    wrong = _hub(settings, "tests.graphs_faults:send_graph_without_worker")
    with pytest.raises(resume_module.ResumeFailed, match="still pending") as failed:
        resume_module.resume(wrong, "send", Decision(RESPOND, text="go"), "alice")
    assert failed.value.exit_code == 1 and "unknown node name worker" in str(failed.value)
    wrong.close()
    [item] = json.loads(run_cli(["pending", "--json"], env).stdout)
    assert item["thread_id"] == "send" and item["claimed_by"] is None
    assert item["interrupted_attempt"] is None
    assert claims.claim_of(hub.store, "send", item["interrupt_id"]) is None  # released
    events = [e["event"] for e in audit.history(hub.store, "send")]
    assert events == ["claimed", "started", "failed", "released"]
    right = run_cli(
        ["resume", "send", "--data", "go", "--graph", "tests.graphs_faults:send_graph"], env
    )
    assert right.returncode == 0, right.stderr
    assert load_snapshot(hub.store, "send").pending == []
    hub.close()


def test_a_resumer_that_loses_its_claim_stops_before_the_next_step(settings, env):
    """A paused host (SIGSTOP) stops renewing; another operator force-releases the attempt;
    when the host wakes, its heartbeat finds the claim gone and no further step runs."""
    hub = _hub(settings, "tests.graphs_faults:two_step_graph")
    hub.graph.invoke({"messages": []}, {"configurable": {"thread_id": "lost"}})
    two_step = ["--graph", "tests.graphs_faults:two_step_graph"]
    first = _spawn(["resume", "lost", "--approve", "--operator", "alice", *two_step], env)
    _wait(lambda: "step1 started" in _lines(env), "the first step to start")
    first.send_signal(signal.SIGSTOP)
    try:
        [item] = _wait(lambda: load_thread(hub, "lost").pending, "the thread")
        _wait(lambda: load_thread(hub, "lost").pending[0].interrupted_attempt, "the lease to end")
        released = run_cli(["release", "lost", "--force"], env)
        assert released.returncode == 0, released.stderr
    finally:
        first.send_signal(signal.SIGCONT)

    def lost_audited():
        return [e for e in audit.history(hub.store, "lost") if e["event"] == "claim-lost"]

    [lost] = _wait(lost_audited, "the heartbeat to find the claim gone")
    assert lost["operator"] == "alice"
    Path(env["BLOCK_UNTIL"]).touch()
    _, stderr = first.communicate(timeout=60)
    assert first.returncode == 4, stderr
    assert "lost the claim" in stderr and "stopped before the next step" in stderr
    assert _lines(env) == ["step1 started", "step1 done"]  # step 2 never ran
    events = [e["event"] for e in audit.history(hub.store, "lost")]
    assert events == ["claimed", "started", "abandoned", "forced", "released", "claim-lost"]
    hub.close()
