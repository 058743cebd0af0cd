"""Hostile and broken input: shown as text, refused clearly, never a crash."""

from __future__ import annotations

import json

import pytest
from bson import Binary
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hitl_tui.errors import UsageError
from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.inbox import Inbox
from hitl_tui.hitl.jsonsafe import dumps
from hitl_tui.hitl.kinds import JSON, RESPOND, Decision, kind_of
from hitl_tui.hitl.resume import resume
from hitl_tui.hitl.safe_text import one_line, visible
from hitl_tui.hitl.snapshot import load_snapshot
from hitl_tui.hitl.store import validate_thread_id
from tests.conftest import run_cli

CONTROL = {chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]} - {"\n", "\t"}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.text())
def test_visible_never_lets_a_control_character_through(text):
    shown = visible(text)
    assert not CONTROL & set(shown)
    assert visible(shown) == shown  # stable on its own output
    assert "\n" not in one_line(text)


@given(json_values)
def test_dumps_is_valid_json_without_raw_controls(value):
    text = dumps(value)
    json.loads(text)
    assert not CONTROL & set(text)


@given(json_values)
def test_every_payload_gets_a_kind_and_a_summary(value):
    from hitl_tui.hitl.kinds import kind_named

    kind = kind_of(value)
    summary = kind_named(kind.name).summary(value)
    assert isinstance(summary, str) and not CONTROL & set(summary)
    assert kind.decisions(value)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=200).filter(lambda t: t.strip()))
def test_any_user_text_round_trips_through_the_inbox(hub, text):
    asked = ask(hub, text)
    if asked.status == "waiting":
        [item] = [i for i in Inbox(hub.store).refresh() if i.thread_id == asked.thread_id]
        assert item.value == {"query": text.strip()}
        assert not CONTROL & set(dumps(item.as_json()))


@pytest.mark.parametrize("thread_id", [{"$ne": None}, ["a"], "", "x" * 1001, "\ud800"])
def test_thread_ids_unsafe_in_a_query_are_refused(thread_id):
    with pytest.raises(UsageError):
        validate_thread_id(thread_id)


def test_operator_like_thread_id_matches_only_itself(cli_env, hub):
    ask(hub, "Need a human")  # another thread exists; an operator-like id must not reach it
    for thread_id in ['{"$ne": null}', "$where"]:
        result = run_cli(["show", thread_id], cli_env)
        assert result.returncode == 3 and "not found" in result.stderr


def test_oversized_answer_fails_before_anything_is_written(hub):
    asked = ask(hub, "Need a human")
    before = load_snapshot(hub.store, asked.thread_id).checkpoint_id
    with pytest.raises(UsageError, match="MB"):
        resume(hub, asked.thread_id, Decision(RESPOND, text="x" * (16 * 1024 * 1024)), "al")
    after = load_snapshot(hub.store, asked.thread_id)
    assert after.checkpoint_id == before and after.pending
    assert hub.store.audit.count_documents({}) == 0
    assert hub.store.claims.count_documents({}) == 0


def test_empty_answer_is_refused_by_the_cli(cli_env):
    result = run_cli(["resume", "t-1", "--data", "   "], cli_env)
    assert result.returncode == 2 and "empty" in result.stderr


def _insert_broken_thread(hub, thread_id: str, **overrides) -> None:
    checkpoint = {
        "thread_id": thread_id,
        "checkpoint_ns": "",
        "checkpoint_id": "1f0-broken",
        "parent_checkpoint_id": None,
        "type": "msgpack",
        "checkpoint": Binary(b"\xc1\xff garbage"),
        "metadata": {},
    }
    write = {
        "thread_id": thread_id,
        "checkpoint_ns": "",
        "checkpoint_id": "1f0-broken",
        "task_id": "task",
        "idx": -3,
        "channel": "__interrupt__",
        "type": "msgpack",
        "value": Binary(b"\x92\xc7\x10\x05 not really ext"),
        "task_path": "~__pregel_pull, x",
    }
    checkpoint.update(overrides.get("checkpoint", {}))
    write.update(overrides.get("write", {}))
    hub.store.checkpoints.insert_one(checkpoint)
    hub.store.writes.insert_one(write)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"checkpoint": {"type": "no-such-serializer"}, "write": {"type": "no-such-serializer"}},
        {"write": {"value": Binary(b"\xc7\x20\x05\x93\xa9nosuchmod\xa3Cls\x80")}},
        {"checkpoint": {"checkpoint": None}, "write": {"value": None}},
    ],
)
def test_undecodable_documents_are_skipped_not_fatal(hub, cli_env, overrides):
    asked = ask(hub, "A real ticket")
    _insert_broken_thread(hub, "broken-1", **overrides)
    items = Inbox(hub.store).refresh()
    assert asked.thread_id in [i.thread_id for i in items]
    listed = run_cli(["pending", "--json"], cli_env)
    assert listed.returncode == 0
    assert asked.thread_id in [i["thread_id"] for i in json.loads(listed.stdout)]
    shown = run_cli(["show", "broken-1", "--json"], cli_env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["problems"]


def test_missing_fields_in_foreign_documents(hub, cli_env):
    hub.store.writes.insert_one({"channel": "__interrupt__", "checkpoint_ns": ""})
    hub.store.checkpoints.insert_one({"thread_id": "odd", "checkpoint_ns": ""})
    assert run_cli(["pending", "--json"], cli_env).returncode == 0
    assert run_cli(["show", "odd", "--json"], cli_env).returncode == 0


def test_json_value_answer_is_sent_as_is(hub):
    asked = ask(hub, "Need a human")
    done = resume(hub, asked.thread_id, Decision(JSON, value={"data": "[b]raw[/b]"}), "al")
    assert "[b]raw[/b]" in done.answer
