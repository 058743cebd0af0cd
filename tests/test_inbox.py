"""The incremental inbox: finds new interrupts, drops answered ones, survives restarts."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bson import ObjectId

from benchmarks.data import clone_threads, object_id_at, shifted_id
from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.desk import Desk
from hitl_tui.hitl.inbox import RESCAN_MARGIN, Inbox
from hitl_tui.hitl.kinds import RESPOND, Decision
from hitl_tui.hitl.resume import resume
from hitl_tui.hitl.store import Store
from hitl_tui.runtime import Hub
from hitl_tui.settings import Settings

SEED = Path(__file__).parent / "seed_app" / "graph.py"


@pytest.fixture(params=["by-thread", "by-id"])
def hub(request, settings: Settings):
    """Every inbox test twice: on a database as another program leaves it, where tickets
    are read by thread, and as `hitl-tui db init` leaves it, where they are read by id."""
    hub = Hub(settings)
    if request.param == "by-id":
        hub.store.ensure_indexes()
    assert hub.store.has_exact_lookups() is (request.param == "by-id")
    yield hub
    hub.connection.client.drop_database(settings.db_name)
    hub.close()


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


def test_a_process_that_cannot_read_a_ticket_leaves_it_to_one_that_can(hub):
    """A watcher without the graph cannot decrypt its checkpoints: the ticket is not an
    answered one, so its entry stays open for the console that loads the graph (and the
    same inbox reads it again once a graph brings its serializer)."""
    encrypted = "tests.graphs.patterns:encrypted"
    writer = Hub(hub.settings, graph_spec=encrypted)
    writer.graph.invoke({}, {"configurable": {"thread_id": "enc-1"}})
    watcher = Inbox(hub.store)
    assert watcher.refresh() == [] and watcher.refresh() == []
    assert "enc-1" in watcher.problems
    console = Desk(Hub(hub.settings, graph_spec=encrypted))  # as `hitl-tui admin --graph`
    try:
        assert _threads(console.pending()) == ["enc-1"]
        hub.store.serde = console.runtime.store.serde  # this process loads the graph too
        assert _threads(watcher.refresh()) == ["enc-1"]
    finally:
        writer.close()
        console.close()


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


def test_thousands_to_decode_come_in_parts_oldest_first(hub, monkeypatch):
    monkeypatch.setattr("hitl_tui.hitl.inbox.PARTIAL_EVERY", 2)
    threads = [ask(hub, f"human question {n}").thread_id for n in range(5)]
    inbox = Inbox(hub.store)
    parts = []
    items = inbox.refresh(on_partial=lambda found: parts.append(_threads(found)))
    assert parts == [threads[:2], threads[:4]] and _threads(items) == threads
    parts.clear()
    assert _threads(inbox.refresh(on_partial=parts.append)) == threads and parts == []


def _quiet_history(hub, threads: int, minutes_ago: float) -> list[str]:
    """`threads` pending threads written in one burst `minutes_ago`, and nothing since."""
    template = ask(hub, "a question from the burst").thread_id
    stamp = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    cloned = clone_threads(hub, template, "burst", threads, stamp)
    for collection in (hub.store.checkpoints, hub.store.writes):
        collection.delete_many({"thread_id": template})
    return cloned


def test_after_a_burst_and_a_quiet_period_a_refresh_reads_nothing(hub):
    burst = _quiet_history(hub, 3, minutes_ago=3 * RESCAN_MARGIN.total_seconds() / 60)
    inbox = Inbox(hub.store)
    assert _threads(inbox.refresh()) == burst and inbox.scanned > 0
    assert _threads(inbox.refresh()) == burst and inbox.scanned == 0
    another = Inbox(hub.store)  # another process: the mark is shared
    assert _threads(another.refresh()) == burst and another.scanned == 0


def test_a_write_that_becomes_visible_late_is_still_found(hub):
    """An insert whose `_id` was minted before a scan started but that only became
    visible after it must be read by the next scan, though the mark moved on meanwhile."""
    burst = _quiet_history(hub, 2, minutes_ago=10)
    collections = (hub.store.checkpoints, hub.store.writes)
    late = [list(collection.find({"thread_id": burst[1]})) for collection in collections]
    for collection in collections:
        collection.delete_many({"thread_id": burst[1]})
    inbox = Inbox(hub.store)
    assert _threads(inbox.refresh()) == burst[:1]
    assert _threads(inbox.refresh()) == burst[:1]
    mark = hub.store.meta.find_one({"_id": "inbox"})["mark"].replace(tzinfo=UTC)
    minted = mark - RESCAN_MARGIN / 2  # before the last scan began; visible only now
    for collection, docs in zip(collections, late, strict=True):
        for doc in docs:
            doc["_id"] = object_id_at(minted)
        collection.insert_many(docs)
    items = inbox.refresh()
    assert _threads(items) == burst
    assert _threads(Inbox(hub.store).refresh()) == burst


def test_a_first_look_in_steps_lists_tickets_as_it_finds_them(hub, monkeypatch):
    monkeypatch.setattr("hitl_tui.hitl.inbox.FIRST_LOOK_STEP_SECONDS", 0)  # a thread a step
    monkeypatch.setattr("hitl_tui.hitl.first_look.EXACT_BATCH", 1)
    answered = ask(hub, "answered before anyone looked").thread_id
    resume(hub, answered, Decision(RESPOND, text="done"), "al")
    waiting = [ask(hub, f"waiting question {n}").thread_id for n in range(2)]
    inbox = Inbox(hub.store)
    seen, reads = [], []
    while True:
        items = inbox.refresh(decode_limit=10)
        seen.append(sorted(_threads(items)))
        if inbox.complete:
            break
        reads.append(inbox.progress.read)
    assert seen[-1] == sorted(waiting) and len(seen) >= 3
    assert reads == sorted(reads) and len(reads) >= 2 and inbox.progress is None
    assert any(len(found) == 1 for found in seen), seen
    ask(hub, "a question after the first look")
    assert len(inbox.refresh()) == 3


def test_a_first_look_over_a_backlog_lists_the_first_at_once_then_more_a_step(hub, monkeypatch):
    """Every waiting thread found costs a check; a step finds a few first, then more."""
    monkeypatch.setattr("hitl_tui.hitl.first_look.FOUND_PER_STEP", 2)
    monkeypatch.setattr("hitl_tui.hitl.first_look.EXACT_BATCH", 1)
    monkeypatch.setattr("hitl_tui.hitl.inbox.FIRST_LOOK_STEP_SECONDS", 60)
    waiting = [ask(hub, f"waiting question {n}").thread_id for n in range(7)]
    inbox = Inbox(hub.store)
    listed = [len(inbox.refresh(decode_limit=100))]
    while not inbox.complete:
        listed.append(len(inbox.refresh(decode_limit=100)))
    if hub.store.has_exact_lookups():
        assert listed[:3] == [2, 6, 7]
    assert listed[-1] == 7 and sorted(_threads(inbox.refresh())) == sorted(waiting)


def test_a_whole_first_look_reports_its_progress(hub):
    asked = [ask(hub, f"question {n}").thread_id for n in range(2)]
    reports = []
    inbox = Inbox(hub.store)
    items = inbox.refresh(on_progress=lambda p: reports.append((p.read, p.total, p.found, p.unit)))
    assert sorted(_threads(items)) == sorted(asked)
    read, total, found, unit = reports[-1]
    if hub.store.has_exact_lookups():  # each interrupted thread is looked at once
        assert (read, total, unit) == (2, 2, "interrupted threads")
    else:  # every checkpoint is walked
        assert read == total == hub.store.checkpoints.count_documents({})
        assert unit == "checkpoints"
    assert found == 2


def test_a_first_look_works_on_a_database_without_our_indexes(hub, mongo, db_name):
    """Another program's database, never prepared by us: the walk must not need our index."""
    ask(hub, "Please call me back about my invoice", "t-bare")
    hub.store.checkpoints.drop_indexes()
    bare = Store(mongo, db_name)  # a new Store: nothing cached about indexes
    assert _threads(Inbox(bare).refresh()) == ["t-bare"]


def _langgraph_pending(hub, thread_id: str) -> bool:
    """What LangGraph itself says: does the thread's latest state wait on an interrupt?"""
    return bool(hub.graph.get_state({"configurable": {"thread_id": thread_id}}).interrupts)


def _travel_back(hub, thread_id: str) -> None:
    """Time travel: a new checkpoint made from one before the interrupt (not a child of it)."""
    history = list(hub.graph.get_state_history({"configurable": {"thread_id": thread_id}}))
    before = next(state for state in history if not state.interrupts and state.next)
    hub.graph.update_state(before.config, {"messages": []})


def test_time_travel_moves_a_ticket_off_the_inbox(hub):
    """A thread moved on by a checkpoint made from an older one is not waiting, though no
    checkpoint was made from the interrupted one: in a first look and in a later scan."""
    travelled, waiting = (ask(hub, f"question {n}").thread_id for n in range(2))
    _travel_back(hub, travelled)
    assert not _langgraph_pending(hub, travelled) and _langgraph_pending(hub, waiting)
    assert _threads(Inbox(hub.store).refresh()) == [waiting]  # a first look
    inbox = Inbox(hub.store)
    later = ask(hub, "asked after the first look").thread_id
    assert _threads(inbox.refresh()) == [waiting, later]
    _travel_back(hub, later)
    assert _threads(inbox.refresh()) == [waiting]
    assert _threads(Inbox(hub.store).refresh()) == [waiting]


@pytest.mark.parametrize("first_look", [True, False], ids=["first-look", "scan"])
def test_a_thread_moved_on_as_its_entry_is_written_leaves_no_ticket(hub, monkeypatch, first_look):
    """The thread moves on, and another inbox has scanned, after this one decided the
    interrupt was waiting but before its entry was written: the other scan had no entry to
    close. The move is a state update, which writes nothing on the interrupted checkpoint,
    so only a newer checkpoint tells. This inbox must not list the ticket, nor leave it
    open for a later one."""
    if not first_look:
        Inbox(hub.store).refresh()
    asked = ask(hub, "moved on while the entry is written").thread_id
    inbox = Inbox(hub.store)
    original = Inbox._open

    def answered_first(self, interrupted):
        interrupted = list(interrupted)
        if self is inbox and interrupted:
            hub.graph.update_state({"configurable": {"thread_id": asked}}, {"messages": []})
            Inbox(hub.store).refresh()  # another inbox sees the move: nothing to close
        return original(self, interrupted)

    monkeypatch.setattr(Inbox, "_open", answered_first)
    assert inbox.refresh() == []
    monkeypatch.setattr(Inbox, "_open", original)
    assert not _langgraph_pending(hub, asked)
    assert hub.store.inbox.count_documents({"thread_id": asked, "state": "open"}) == 0
    assert Inbox(hub.store).refresh() == []


def test_a_forged_checkpoint_in_another_thread_hides_no_ticket(hub):
    """A document that names a waiting ticket's checkpoint as its parent, but sits in
    another thread, is not that thread moving on: the ticket stays listed, in a first
    look and in every later refresh."""
    waiting = ask(hub, "still waiting for an operator").thread_id
    latest = hub.store.checkpoints.find_one({"thread_id": waiting}, sort=[("checkpoint_id", -1)])
    forged = {k: v for k, v in latest.items() if k != "_id"}
    forged.update(
        thread_id="intruder",
        checkpoint_id=shifted_id(latest["checkpoint_id"], datetime.now(UTC)),
        parent_checkpoint_id=latest["checkpoint_id"],
    )
    hub.store.checkpoints.insert_one(forged)
    assert _langgraph_pending(hub, waiting)
    inbox = Inbox(hub.store)
    assert waiting in _threads(inbox.refresh())  # a first look
    assert waiting in _threads(inbox.refresh())  # a refresh that reads the forged document
    assert waiting in _threads(Inbox(hub.store).refresh())  # decoded afresh
