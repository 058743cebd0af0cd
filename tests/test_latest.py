"""The latest checkpoint of a thread, found by narrow ranges first: never a wrong answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.latest import checkpoint_id_floor, latest_checkpoint, remember


def _ids(*ages: timedelta) -> list[str]:
    now = datetime.now(UTC)
    return [checkpoint_id_floor(now - age).replace("-0000-0000", "-8000-0001") for age in ages]


def test_the_newest_is_found_whatever_its_age(hub):
    checkpoints = hub.store.checkpoints
    for thread, ages in {
        "recent": (timedelta(days=90), timedelta(days=2), timedelta(seconds=5)),
        "weeks": (timedelta(days=90), timedelta(days=7)),
        "months": (timedelta(days=400), timedelta(days=90)),
    }.items():
        ids = _ids(*ages)
        checkpoints.insert_many(
            [{"thread_id": thread, "checkpoint_ns": "", "checkpoint_id": i} for i in ids]
        )
        assert latest_checkpoint(checkpoints, thread)["checkpoint_id"] == max(ids)
    assert latest_checkpoint(checkpoints, "nobody") is None


def test_a_checkpoint_written_by_another_program_is_not_hidden_by_what_we_saw(hub):
    checkpoints = hub.store.checkpoints
    older, newer = _ids(timedelta(days=3), timedelta(days=2))
    checkpoints.insert_one({"thread_id": "shared", "checkpoint_ns": "", "checkpoint_id": older})
    assert latest_checkpoint(checkpoints, "shared")["checkpoint_id"] == older
    checkpoints.insert_one({"thread_id": "shared", "checkpoint_ns": "", "checkpoint_id": newer})
    assert latest_checkpoint(checkpoints, "shared")["checkpoint_id"] == newer
    # A remembered checkpoint that is gone (the thread was deleted and written again).
    remember(checkpoints, "shared", "", _ids(timedelta(seconds=1))[0])
    assert latest_checkpoint(checkpoints, "shared")["checkpoint_id"] == newer


def test_the_saver_resumes_a_long_conversation_from_its_newest_checkpoint(hub):
    thread = ask(hub, "How do I reset my password?").thread_id
    for _ in range(3):
        ask(hub, "What are your opening hours?", thread)
    state = hub.graph.get_state({"configurable": {"thread_id": thread}})
    assert len(state.values["messages"]) == 8
    newest = hub.store.checkpoints.find_one({"thread_id": thread}, sort=[("checkpoint_id", -1)])
    assert state.config["configurable"]["checkpoint_id"] == newest["checkpoint_id"]
