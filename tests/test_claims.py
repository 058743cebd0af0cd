"""Many operators at once: claims make exactly one resume run; leases expire; audit."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hitl_tui.errors import ConflictError
from hitl_tui.hitl import audit, claims
from hitl_tui.hitl.desk import Desk
from hitl_tui.hitl.kinds import APPROVE, RESPOND, Decision
from hitl_tui.hitl.resume import ResumeFailed, resume
from hitl_tui.hitl.snapshot import load_snapshot
from hitl_tui.runtime import Hub
from tests.conftest import run_cli

DELETE = ["--graph", "tests.graphs_faults:delete_graph"]
SLOW = ["--graph", "tests.graphs_faults:slow_graph"]
RACER = """
import os, sys, time
from hitl_tui.cli import main
import hitl_tui.hitl.resume, hitl_tui.agent.loader, langgraph.checkpoint.mongodb  # warm up
gate, ready = sys.argv[1], sys.argv[2]
open(ready, "w").close()
while not os.path.exists(gate):
    time.sleep(0.002)
sys.exit(main(sys.argv[3:]))
"""


@pytest.fixture
def action_env(cli_env, tmp_path):
    log = tmp_path / "actions.log"
    log.touch()
    return {**cli_env, "ACTION_LOG": str(log)}


def _start(settings, graph: str, thread: str, env_log: str | None = None) -> Hub:
    hub = Hub(settings, graph_spec=f"tests.graphs_faults:{graph}")
    hub.graph.invoke({"messages": []}, {"configurable": {"thread_id": thread}})
    return hub


def test_eight_processes_resume_one_interrupt_exactly_one_runs(settings, action_env, tmp_path):
    _start(settings, "delete_graph", "race").close()
    gate = tmp_path / "go"
    racers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                RACER,
                str(gate),
                str(tmp_path / f"ready{n}"),
                "resume",
                "race",
                "--approve",
                "--operator",
                f"op{n}",
                *DELETE,
            ],
            env=action_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(8)
    ]
    deadline = time.monotonic() + 60  # all eight imported and waiting: now they race
    while len(list(tmp_path.glob("ready*"))) < 8 and time.monotonic() < deadline:
        time.sleep(0.01)
    gate.touch()
    results = [(r.wait(timeout=60), r.stderr.read()) for r in racers]
    codes = sorted(code for code, _ in results)
    assert codes == [0] + [4] * 7, results
    for code, stderr in results:
        if code == 4:
            assert stderr.count("\n") == 1
            assert any(f"{how} op" in stderr for how in ("claimed by", "answered by", "resumed by"))
    assert len(Path(action_env["ACTION_LOG"]).read_text().splitlines()) == 1


def test_claim_blocks_other_operators_until_released_or_expired(hub):
    from hitl_tui.hitl.conversation import ask

    asked = ask(hub, "Need a human")
    [item] = asked.pending
    mine = claims.acquire(hub.store, asked.thread_id, item.interrupt_id, "alice", 60)
    with pytest.raises(ConflictError, match="claimed by alice since"):
        claims.acquire(hub.store, asked.thread_id, item.interrupt_id, "bob", 60)
    assert Desk(hub).pending()[0].claimed_by == "alice"
    with pytest.raises(ConflictError, match="claimed by alice"):
        resume(hub, asked.thread_id, Decision(RESPOND, text="x"), "bob")
    claims.release(hub.store, mine)
    assert Desk(hub).pending()[0].claimed_by is None

    short = claims.acquire(hub.store, asked.thread_id, item.interrupt_id, "carol", 0.2)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            bob = claims.acquire(hub.store, asked.thread_id, item.interrupt_id, "bob", 60)
            break
        except ConflictError:
            time.sleep(0.05)
    else:
        pytest.fail("the lease never expired")
    assert bob.token != short.token
    assert not claims.renew(hub.store, short, 60)  # carol's lease was lost
    done = resume(hub, asked.thread_id, Decision(RESPOND, text="ok"), "bob", claim=bob)
    assert "ok" in done.answer


def test_release_command_frees_a_ticket(cli_env, hub):
    from hitl_tui.hitl.conversation import ask

    asked = ask(hub, "Need a human")
    claims.acquire(hub.store, asked.thread_id, asked.pending[0].interrupt_id, "zed", 300)
    listed = json.loads(run_cli(["pending", "--json"], cli_env).stdout)
    assert listed[0]["claimed_by"] == "zed"
    blocked = run_cli(["resume", asked.thread_id, "--data", "x"], cli_env)
    assert blocked.returncode == 4 and "claimed by zed" in blocked.stderr
    assert run_cli(["release", asked.thread_id], cli_env).returncode == 0
    assert run_cli(["resume", asked.thread_id, "--data", "x"], cli_env).returncode == 0


def test_audit_records_every_decision_and_failures(settings, action_env, monkeypatch):
    monkeypatch.setenv("ACTION_LOG", action_env["ACTION_LOG"])
    hub = _start(settings, "delete_graph", "aud")
    try:
        before = load_snapshot(hub.store, "aud").checkpoint_id
        resume(hub, "aud", Decision(APPROVE), "alice")
        events = audit.history(hub.store, "aud")
        assert [e["event"] for e in events] == ["claimed", "started", "resumed"]
        claimed, started, resumed = events
        assert {e["operator"] for e in events} == {"alice"}
        assert len({e["attempt"] for e in events}) == 1  # one attempt, three events
        assert started["kind"] == "approval" and started["decision"] == {"action": "approve"}
        assert started["payload"] == {"data": "approved"}  # the answer, stored once
        assert started["checkpoint_before"] == before
        assert resumed["checkpoint_after"] not in (None, before)
        assert claimed["at"] <= started["at"] <= resumed["at"]
        assert [e["seq"] for e in events] == [1, 2, 3] and audit.verify(hub.store).intact
    finally:
        hub.close()

    monkeypatch.setenv("FAIL_IN_TOOL", "1")
    hub = _start(settings, "slow_graph", "broken")
    try:
        with pytest.raises(ResumeFailed, match="the tool broke"):
            resume(hub, "broken", Decision(RESPOND, text="go"), "alice")
        events = audit.history(hub.store, "broken")
        assert [e["event"] for e in events] == ["claimed", "started", "failed", "released"]
        assert "the tool broke" in events[2]["error"]
        [still] = Desk(hub).pending()
        assert still.thread_id == "broken" and still.claimed_by is None
    finally:
        hub.close()


def test_audit_command_json(cli_env, action_env):
    ticket = json.loads(run_cli(["ask", "human please", "--json"], cli_env).stdout)
    run_cli(["resume", ticket["thread_id"], "--data", "answer"], cli_env)
    entries = json.loads(run_cli(["audit", ticket["thread_id"], "--json"], cli_env).stdout)
    assert [e["event"] for e in entries] == ["claimed", "started", "resumed"]
    assert {e["operator"] for e in entries} == {"bob"}
    human = run_cli(["audit"], cli_env)
    assert ticket["thread_id"] in human.stdout and "resumed" in human.stdout
