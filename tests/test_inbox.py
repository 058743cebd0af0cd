"""The incremental inbox: finds new interrupts, drops answered ones, survives restarts."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bson import ObjectId

from benchmarks.data import shifted_id
from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.inbox import RESCAN_MARGIN, Inbox
from hitl_tui.hitl.kinds import RESPOND, Decision
from hitl_tui.hitl.resume import resume

SEED = Path(__file__).parent / "seed_app" / "graph.py"


def _threads(items) -> list[str]:
    return [i.thread_id for i in items]


def test_incremental_refresh_sees_new_and_drops_answered(hub):
    inbox = Inbox(hub.store)
    assert inbox.refresh() == []
    first = ask(hub, "first human question")
    assert _threads(inbox.refresh()) == [first.thread_id]
    second = ask(hub, "second human question")
    assert _threads(inbox.refresh()) == [first.thread_id, second.thread_id]
    resume(hub, first.thread_id, Decision(RESPOND, text="done"), "al")
    assert _threads(inbox.refresh()) == [second.thread_id]


def test_a_fresh_inbox_reads_what_another_recorded(hub):
    asked = ask(hub, "remember me")
    Inbox(hub.store).refresh()
    assert _threads(Inbox(hub.store).refresh()) == [asked.thread_id]
    assert hub.store.inbox.count_documents({"state": "open"}) == 1


def test_rescan_margin_never_duplicates(hub):
    asked = ask(hub, "only once")
    inbox = Inbox(hub.store)
    for _ in range(3):
        assert _threads(inbox.refresh()) == [asked.thread_id]
    assert hub.store.inbox.count_documents({}) == 1


def test_scan_reads_only_what_is_new(hub, monkeypatch):
    """After the first sync, a refresh reads documents from the mark on, not the history."""
    for n in range(3):
        ask(hub, f"old question {n}")
    inbox = Inbox(hub.store)
    inbox.refresh()
    queries = []
    original = hub.store.writes.find

    def spy(*args, **kwargs):
        queries.append(args[0] if args else kwargs.get("filter"))
        return original(*args, **kwargs)

    monkeypatch.setattr(hub.store.writes, "find", spy, raising=False)
    inbox.refresh()
    since = queries[0]["_id"]["$gte"]
    assert isinstance(since, ObjectId)
    newest = hub.store.writes.find_one(sort=[("_id", -1)])["_id"].generation_time
    assert newest - RESCAN_MARGIN - timedelta(seconds=2) <= since.generation_time <= newest


def test_an_interrupt_written_long_after_its_checkpoint_is_found(hub):
    """A step that runs for minutes writes its interrupt under the id of the checkpoint it
    started from; the scan goes by insertion, so the old checkpoint id does not hide it."""
    template = ask(hub, "a slow tool, then a question").thread_id
    inbox = Inbox(hub.store)
    assert _threads(inbox.refresh()) == [template]
    started = datetime.now(UTC) - 5 * RESCAN_MARGIN
    ids = sorted(hub.store.checkpoints.distinct("checkpoint_id", {"thread_id": template}))
    older = {old: shifted_id(old, started + timedelta(milliseconds=n)) for n, old in enumerate(ids)}
    for collection in (hub.store.checkpoints, hub.store.writes):
        docs = list(collection.find({"thread_id": template}, {"_id": 0}))
        for doc in docs:
            doc["thread_id"] = "slow-step"
            for field in ("checkpoint_id", "parent_checkpoint_id"):
                if doc.get(field):
                    doc[field] = older[doc[field]]
        collection.insert_many(docs)  # inserted now
    assert sorted(_threads(inbox.refresh())) == sorted([template, "slow-step"])
    assert sorted(_threads(Inbox(hub.store).refresh())) == sorted([template, "slow-step"])


def test_undecodable_documents_do_not_break_a_refresh(hub):
    good = ask(hub, "a well-formed question").thread_id
    inbox = Inbox(hub.store)
    inbox.refresh()
    checkpoint = hub.store.checkpoints.find_one({"thread_id": good}, sort=[("checkpoint_id", -1)])
    interrupt = hub.store.writes.find_one({"thread_id": good, "channel": "__interrupt__"})
    broken = [
        ({**checkpoint, "thread_id": "garbled"}, {**interrupt, "thread_id": "garbled"}),
        ({**checkpoint, "thread_id": "no-type"}, {**interrupt, "thread_id": "no-type"}),
    ]
    broken[0][0]["checkpoint"] = b"\xff\x00 not msgpack"
    broken[0][1]["value"] = b"\xc1 never valid"
    del broken[1][1]["type"]
    for doc, write in broken:
        del doc["_id"], write["_id"]
        hub.store.checkpoints.insert_one(doc)
        hub.store.writes.insert_one(write)
    hub.store.writes.insert_many(
        [
            {"thread_id": 42, "checkpoint_ns": "", "channel": "__interrupt__"},
            {"thread_id": "no-checkpoint", "checkpoint_ns": "", "channel": "__interrupt__"},
            {"_id": "not-an-object-id", "thread_id": "x", "checkpoint_ns": "", "channel": 7},
        ]
    )
    assert _threads(inbox.refresh()) == [good]
    assert _threads(Inbox(hub.store).refresh()) == [good]
    assert "undecodable" in " ".join(inbox.problems["garbled"])


def test_threads_written_by_another_program_are_found(hub, cli_env):
    subprocess.run(
        [sys.executable, str(SEED), "user", "from the seed"],
        env=cli_env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    items = Inbox(hub.store).refresh()
    assert _threads(items) == ["12"] and items[0].value == {"query": "from the seed"}


def test_answer_from_another_program_closes_the_entry(hub, cli_env):
    inbox = Inbox(hub.store)
    subprocess.run(
        [sys.executable, str(SEED), "user", "q"],
        env=cli_env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert _threads(inbox.refresh()) == ["12"]
    subprocess.run(
        [sys.executable, str(SEED), "admin", "a"],
        env=cli_env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert inbox.refresh() == []
    assert hub.store.inbox.count_documents({"state": "open"}) == 0


def test_a_decode_limit_shows_the_oldest_first_and_the_rest_later(hub):
    threads = [ask(hub, f"human question {n}").thread_id for n in range(3)]
    inbox = Inbox(hub.store)
    first = inbox.refresh(decode_limit=2)
    assert _threads(first) == threads[:2] and inbox.complete is False
    assert _threads(inbox.refresh(decode_limit=2)) == threads and inbox.complete is True
