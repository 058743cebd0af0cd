"""Values an operator gives: NaN and Infinity are refused, an answer too large to store is
refused before anything is written, and operator names cannot hide characters."""

from __future__ import annotations

import pytest

from hitl_tui.errors import UsageError
from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.kinds import JSON, RESPOND, Decision
from hitl_tui.hitl.resume import resume
from tests.conftest import run_cli


def _written(hub) -> tuple[int, int, int, int]:
    store = hub.store
    return (
        store.audit.count_documents({}),
        store.claims.count_documents({}),
        store.writes.count_documents({}),
        store.checkpoints.count_documents({}),
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--json-value", "NaN"],
        ["--json-value", '{"data": Infinity}'],
        ["--json-value", "[-Infinity]"],
        ["--data", "ok", "--operator", "ali\u200bce"],
        ["--data", "ok", "--operator", "\u202eecila"],
        ["--data", "ok", "--operator", "bob\x1b[2J"],
    ],
)
def test_refused_values_and_names_write_nothing(hub, cli_env, args):
    asked = ask(hub, "Need a human")
    before = _written(hub)
    result = run_cli(["resume", asked.thread_id, *args], cli_env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert _written(hub) == before
    assert hub.store.audit.count_documents({}) == 0


@pytest.mark.parametrize("megabytes", [9, 20])
def test_answers_too_large_to_store_write_nothing(hub, megabytes):
    asked = ask(hub, "Need a human")
    before = _written(hub)
    text = "x" * (megabytes * 1_000_000)
    with pytest.raises(UsageError, match=f"the answer is {megabytes}.0 MB"):
        resume(hub, asked.thread_id, Decision(RESPOND, text=text), "alice")
    with pytest.raises(UsageError, match="MB"):
        resume(hub, asked.thread_id, Decision(JSON, value={"data": text}), "alice")
    assert _written(hub) == before
    assert hub.store.audit.count_documents({}) == 0


def test_a_large_answer_that_fits_is_stored_once(hub):
    asked = ask(hub, "Need a human")
    text = "y" * 3_000_000
    done = resume(hub, asked.thread_id, Decision(RESPOND, text=text), "alice")
    assert text in done.answer
    [started] = hub.store.audit.find({"event": "started"})
    assert started["payload"] == {"data": text} and "text" not in started["decision"]


def test_nan_inside_a_console_style_value_is_refused_by_the_core(hub):
    asked = ask(hub, "Need a human")
    with pytest.raises(UsageError, match="NaN and Infinity are refused"):
        resume(hub, asked.thread_id, Decision(JSON, value={"data": [float("nan")]}), "alice")
    assert hub.store.audit.count_documents({}) == 0
