"""Every interrupt shape with a real graph: each decision has its real effect."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import ToolMessage

from hitl_tui.errors import UsageError
from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.kinds import APPROVE, EDIT, JSON, REJECT, RESPOND, Decision
from hitl_tui.hitl.resume import resume
from hitl_tui.hitl.snapshot import load_snapshot
from hitl_tui.runtime import Hub
from tests import graphs_hitl
from tests.conftest import done_effects, run_cli


@pytest.fixture(autouse=True)
def _fresh_records():
    graphs_hitl.CALLS.clear()


def _hub_for(settings, name: str) -> Hub:
    return Hub(settings, graph_spec=f"tests.graphs_hitl:{name}")


def _start(hub: Hub, thread: str, state: dict) -> None:
    hub.graph.invoke(state, {"configurable": {"thread_id": thread}})


def _tool_results(hub: Hub, thread: str) -> list[str]:
    snapshot = load_snapshot(hub.store, thread)
    return [m.content for m in snapshot.messages if isinstance(m, ToolMessage)]


# -- built-in safety patterns through the offline model --------------------------------
def test_approval_before_delete_runs_only_when_approved(hub):
    asked = ask(hub, "Please delete the customer database acme-prod")
    [item] = asked.pending
    assert item.kind == "approval" and item.value["args"] == {"db_name": "acme-prod"}
    assert done_effects(hub) == []
    done = resume(hub, asked.thread_id, Decision(APPROVE), "alice")
    assert done_effects(hub) == ["delete_customer_database"]
    assert _tool_results(hub, asked.thread_id) == ["The database acme-prod was deleted."]
    assert "acme-prod was deleted" in done.answer


def test_rejected_refund_does_not_run_and_user_is_told_why(hub):
    asked = ask(hub, "Refund order 1234, $30 please")
    done = resume(hub, asked.thread_id, Decision(REJECT, text="duplicate request"), "alice")
    assert done_effects(hub) == []
    assert "rejected" in done.answer and "duplicate request" in done.answer


def test_edited_refund_runs_with_edited_arguments_and_bad_edits_are_refused(hub):
    asked = ask(hub, "Refund order 1234, $30 please")
    with pytest.raises(UsageError, match="amount"):
        resume(hub, asked.thread_id, Decision(EDIT, args={"order_id": "1234", "amount": -5}), "al")
    assert load_snapshot(hub.store, asked.thread_id).pending  # nothing was sent
    resume(hub, asked.thread_id, Decision(EDIT, args={"order_id": "1234", "amount": 12.5}), "al")
    assert done_effects(hub) == ["refund_order"]
    assert _tool_results(hub, asked.thread_id) == ["Refunded 12.50 for order 1234."]


def test_plan_edit_executes_only_the_approved_steps_in_order(hub):
    asked = ask(hub, "Please migrate my account to the EU region")
    [item] = asked.pending
    assert item.kind == "plan" and len(item.value["plan"]) == 5
    edited = ["Import the data into the new workspace", "Export the account's data"]
    done = resume(hub, asked.thread_id, Decision(EDIT, args=edited), "alice")
    assert done_effects(hub) == ["plan_step", "plan_step"]
    [executed] = _tool_results(hub, asked.thread_id)
    assert executed.splitlines()[1:] == [f"{n}. {step}: done" for n, step in enumerate(edited, 1)]
    assert "1. Import the data into the new workspace: done" in done.answer
    assert "Delete the old workspace" not in done.answer


def test_a_pricing_question_about_a_plan_is_not_a_plan_to_approve(hub):
    result = ask(hub, "What does the Team plan cost per month?")
    assert result.status == "answered" and "$29/month" in result.answer


def test_rejected_plan_runs_nothing(hub):
    asked = ask(hub, "Please make a plan for the migration of my account")
    done = resume(hub, asked.thread_id, Decision(REJECT, text="not now"), "alice")
    assert done_effects(hub) == [] and "not now" in done.answer


def test_cli_approve_and_reject_builtin_tools(cli_env):
    ticket = json.loads(
        run_cli(["ask", "delete the customer database old-db", "--json"], cli_env).stdout
    )
    assert ticket["pending"][0]["kind"] == "approval"
    refused = run_cli(["resume", ticket["thread_id"], "--edit", '{"db_name": ""}'], cli_env)
    assert refused.returncode == 2 and "db_name: needs at least 1" in refused.stderr
    # The seed's way: the admin types, the graph decides what the text means.
    approved = run_cli(["resume", ticket["thread_id"], "--data", "approved", "--json"], cli_env)
    assert "old-db was deleted" in json.loads(approved.stdout)["answer"]
    ticket = json.loads(run_cli(["ask", "refund order 77 $5", "--json"], cli_env).stdout)
    rejected = run_cli(
        ["resume", ticket["thread_id"], "--reject", "--reason", "fraud", "--json"], cli_env
    )
    assert "fraud" in json.loads(rejected.stdout)["answer"]


# -- LangChain HumanInTheLoopMiddleware -------------------------------------------------
def test_batched_middleware_decisions_have_their_effect(settings):
    hub = _hub_for(settings, "batched")
    try:
        _start(hub, "b1", {"messages": [{"role": "user", "content": "go"}]})
        [item] = load_snapshot(hub.store, "b1").pending
        assert item.kind == "hitl_request"
        assert [a["name"] for a in item.value["action_requests"]] == ["send_email", "wipe_disk"]
        from hitl_tui.hitl.kinds import kind_named

        assert kind_named(item.kind).decisions(item.value) == (APPROVE, REJECT, JSON)
        with pytest.raises(UsageError, match="answered with --edit; it accepts --approve"):
            resume(hub, "b1", Decision(EDIT, args={"to": "x"}), "al")
        value = {
            "decisions": [
                {
                    "type": "edit",
                    "edited_action": {
                        "name": "send_email",
                        "args": {"to": "c@example.com", "subject": "hi"},
                    },
                },
                {"type": "reject", "message": "never"},
            ]
        }
        resume(hub, "b1", Decision(JSON, value=value), "al")
        assert graphs_hitl.CALLS == [("send_email", {"to": "c@example.com", "subject": "hi"})]
        results = _tool_results(hub, "b1")
        assert any("sent to c@example.com" in r for r in results)
        assert any("never" in r for r in results)
    finally:
        hub.close()


def test_batched_middleware_approve_all(settings):
    hub = _hub_for(settings, "batched")
    try:
        _start(hub, "b2", {"messages": [{"role": "user", "content": "go"}]})
        resume(hub, "b2", Decision(APPROVE), "al")
        assert sorted(c[0] for c in graphs_hitl.CALLS) == ["send_email", "wipe_disk"]
    finally:
        hub.close()


def test_per_call_middleware_each_call_answered_by_interrupt_id(settings):
    hub = _hub_for(settings, "per_call")
    try:
        _start(hub, "p1", {"messages": [{"role": "user", "content": "go"}]})
        pending = load_snapshot(hub.store, "p1").pending
        assert sorted(p.kind for p in pending) == ["tool_approval", "tool_approval"]
        by_name = {p.value["name"]: p for p in pending}
        with pytest.raises(UsageError, match="--interrupt"):
            resume(hub, "p1", Decision(APPROVE), "al")
        resume(
            hub,
            "p1",
            Decision(REJECT, text="no wiping"),
            "al",
            interrupt_id=by_name["wipe_disk"].interrupt_id,
        )
        left = load_snapshot(hub.store, "p1").pending
        assert [p.value["name"] for p in left] == ["send_email"]
        resume(
            hub,
            "p1",
            Decision(EDIT, args={"to": "d@example.com", "subject": "s"}),
            "al",
            interrupt_id=left[0].interrupt_id,
        )
        assert graphs_hitl.CALLS == [("send_email", {"to": "d@example.com", "subject": "s"})]
        assert load_snapshot(hub.store, "p1").pending == []
    finally:
        hub.close()


# -- several interrupts in one thread, and agent-inbox --------------------------------
def test_parallel_interrupts_answered_one_at_a_time_via_cli(settings, cli_env):
    hub = _hub_for(settings, "parallel")
    try:
        _start(hub, "par", {"log": []})
    finally:
        hub.close()
    items = json.loads(run_cli(["pending", "--json"], cli_env).stdout)
    assert sorted(i["value"]["query"] for i in items) == ["Approve branch A?", "Approve branch B?"]
    graph = ["--graph", "tests.graphs_hitl:parallel"]
    ambiguous = run_cli(["resume", "par", "--data", "x", *graph], cli_env)
    assert ambiguous.returncode == 2 and "--interrupt" in ambiguous.stderr
    first = next(i for i in items if i["value"]["query"] == "Approve branch A?")
    one = run_cli(
        [
            "resume",
            "par",
            "--data",
            "yes A",
            "--interrupt",
            first["interrupt_id"],
            "--json",
            *graph,
        ],
        cli_env,
    )
    assert json.loads(one.stdout)["status"] == "waiting"
    [left] = json.loads(run_cli(["pending", "--json"], cli_env).stdout)
    assert left["value"]["query"] == "Approve branch B?"
    run_cli(["resume", "par", "--data", "yes B", *graph], cli_env)
    shown = json.loads(run_cli(["show", "par", "--json"], cli_env).stdout)
    assert shown["pending"] == []


@pytest.mark.parametrize(
    ("decision", "expected_calls", "log_text"),
    [
        (Decision(APPROVE), [("send_email", {"to": "b@example.com", "subject": "report"})], "sent"),
        (
            Decision(EDIT, args={"to": "z@example.com", "subject": "r"}),
            [("send_email", {"to": "z@example.com", "subject": "r"})],
            "sent to z@example.com",
        ),
        (Decision(RESPOND, text="send it monday"), [], "response: send it monday"),
        (Decision(REJECT), [], "ignore: None"),
    ],
)
def test_agent_inbox_responses(settings, decision, expected_calls, log_text):
    hub = _hub_for(settings, "agent_inbox")
    try:
        _start(hub, "ai", {"log": []})
        [item] = load_snapshot(hub.store, "ai").pending
        assert item.kind == "human_interrupt"
        resume(hub, "ai", decision, "al")
        assert graphs_hitl.CALLS == expected_calls
        state = hub.graph.get_state({"configurable": {"thread_id": "ai"}})
        assert log_text in str(state.values["log"])
    finally:
        hub.close()


def test_unknown_payload_needs_valid_json(cli_env):
    bad = run_cli(["resume", "t", "--json-value", '{"a": }'], cli_env)
    assert bad.returncode == 2 and "line 1 column 7" in bad.stderr
