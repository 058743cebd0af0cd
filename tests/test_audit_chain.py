"""A tamper-evident audit: rewrites, deletions and insertions are caught by `audit --verify`
(exit 6); eight processes appending at once leave one valid chain; with HITL_AUDIT_KEY even
a recomputed chain is caught."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from bson import ObjectId
from pydantic import SecretStr

from hitl_tui.errors import UsageError
from hitl_tui.hitl import audit, claims
from hitl_tui.hitl.kinds import APPROVE, Decision
from hitl_tui.hitl.resume import resume
from hitl_tui.runtime import Hub
from tests.conftest import run_cli

APPENDER = """
import os, sys, time
from hitl_tui.hitl import audit
from hitl_tui.runtime import Hub
from hitl_tui.settings import Settings
gate, ready, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
hub = Hub(Settings())
open(ready, "w").close()
while not os.path.exists(gate):
    time.sleep(0.002)
for n in range(count):
    audit.append(hub.store, "claimed", operator=name, thread_id=f"t-{name}", interrupt_id=str(n))
hub.close()
"""


@pytest.fixture
def chain(settings, cli_env, tmp_path):
    """Two approvals really resumed: six events."""
    log = tmp_path / "actions.log"
    log.touch()
    env = {**cli_env, "ACTION_LOG": str(log)}
    hub = Hub(settings, graph_spec="tests.graphs_faults:delete_graph")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ACTION_LOG", str(log))
        for thread in ("a1", "a2"):
            hub.graph.invoke({"messages": []}, {"configurable": {"thread_id": thread}})
            resume(hub, thread, Decision(APPROVE), "alice")
    assert hub.store.audit.count_documents({}) == 6
    yield hub, env
    hub.close()


def _verify(env: dict) -> subprocess.CompletedProcess:
    return run_cli(["audit", "--verify"], env)


def test_an_intact_chain_verifies(chain):
    hub, env = chain
    result = _verify(env)
    assert result.returncode == 0, result.stderr
    assert "intact: 6 events (sha256)" in result.stdout


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        ("rewrite", "event 2 was altered"),
        ("delete", "event 3 is missing"),
        ("insert", "inserted outside the chain"),
    ],
)
def test_tampering_is_caught_by_verify_with_exit_6(chain, tamper, named):
    hub, env = chain
    if tamper == "rewrite":
        hub.store.audit.update_one({"_id": 2}, {"$set": {"operator": "mallory"}})
    elif tamper == "delete":
        hub.store.audit.delete_one({"_id": 3})
    else:  # what a forger with database access would add: a CEO's approval
        hub.store.audit.insert_one(
            {
                "_id": ObjectId(),
                "operator": "ceo",
                "event": "resumed",
                "thread_id": "a1",
                "decision": {"action": "approve"},
            }
        )
    result = _verify(env)
    assert result.returncode == 6, result.stderr
    assert named in result.stderr and result.stderr.count("\n") == 1


def test_subtler_forgeries_are_caught_too(chain):
    hub, _ = chain
    store = hub.store
    last = store.audit.find_one({"_id": 6})

    store.audit.delete_one({"_id": 6})  # deleting from the end leaves no broken link
    assert "event 6 is missing (deleted from the end)" in audit.verify(store).problem
    store.audit.insert_one(last)

    # A back-dated approval appended with a correctly computed SHA-256 link.
    forged = {
        **last,
        "_id": 7,
        "prev": last["hash"],
        "operator": "ceo",
        "at": last["at"] - timedelta(days=1),
    }
    forged["hash"] = audit.link_of(forged, None)
    store.audit.insert_one(forged)
    assert "event 7 is back-dated" in audit.verify(store).problem
    store.audit.delete_one({"_id": 7})

    store.audit.insert_one({**last, "_id": 0})  # a number below the chain
    assert "inserted" in audit.verify(store).problem
    store.audit.delete_one({"_id": 0})
    assert audit.verify(store).intact


def test_with_a_key_a_recomputed_chain_is_caught(settings):
    hub = Hub(settings.model_copy(update={"audit_key": SecretStr("the-real-key")}))
    try:
        for n in range(4):
            audit.append(hub.store, audit.CLAIMED, operator="alice", thread_id="k", n=n)
        verdict = audit.verify(hub.store)
        assert verdict.intact and verdict.alg == "hmac-sha256"
        doc = hub.store.audit.find_one({"_id": 2})
        # The forger rewrites event 2 and relinks it, with SHA-256 or a guessed key.
        for forged_alg, guess in (("sha256", None), ("hmac-sha256", b"a-guess")):
            forged = {**doc, "operator": "mallory", "alg": forged_alg}
            forged["hash"] = audit.link_of(forged, guess)
            hub.store.audit.replace_one({"_id": 2}, forged)
            assert "event 2 was" in audit.verify(hub.store).problem
        keyless = Hub(settings)
        with pytest.raises(UsageError, match="set HITL_AUDIT_KEY"):
            audit.verify(keyless.store)
        keyless.close()
    finally:
        hub.close()


def test_eight_processes_appending_at_once_keep_one_chain(settings, cli_env, tmp_path):
    hub = Hub(settings)
    gate = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                APPENDER,
                str(gate),
                str(tmp_path / f"ready{n}"),
                f"op{n}",
                "10",
            ],
            env=cli_env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(8)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready*"))) < 8 and time.monotonic() < deadline:
        time.sleep(0.01)
    gate.touch()
    for writer in writers:
        assert writer.wait(timeout=120) == 0, writer.stderr.read()
    verdict = audit.verify(hub.store)
    assert verdict.intact and verdict.events == 80
    assert sorted(d["_id"] for d in hub.store.audit.find({}, {"_id": 1})) == list(range(1, 81))
    assert _verify(cli_env).returncode == 0
    hub.close()


def test_release_and_claims_are_audited_and_history_shows_a_broken_link(hub):
    from hitl_tui.hitl.conversation import ask

    asked = ask(hub, "Need a human")
    interrupt = asked.pending[0].interrupt_id
    mine = claims.acquire(hub.store, asked.thread_id, interrupt, "alice", 60)
    claims.release(hub.store, mine)
    claims.acquire(hub.store, asked.thread_id, interrupt, "bob", 60)
    assert claims.release_any(hub.store, asked.thread_id, interrupt, "carol")
    events = [(e["event"], e["operator"]) for e in audit.history(hub.store, asked.thread_id)]
    assert events == [
        ("claimed", "alice"),
        ("released", "alice"),
        ("claimed", "bob"),
        ("released", "carol"),
    ]
    shown = audit.history(hub.store, asked.thread_id)
    assert audit.broken_link(hub.store, shown) is None
    hub.store.audit.update_one({"_id": 3}, {"$set": {"operator": "eve"}})
    assert audit.broken_link(hub.store, shown) == "event 3 was altered"
