"""Upstream human-in-the-loop patterns, each driven to its interrupt by the graph itself,
answered through the CLI in another process, and checked in the graph's own state.

One CLI process per answer that matters; listings, refusals and the other answers of a
test go through the same core in-process, which keeps the suite fast."""

from __future__ import annotations

import asyncio
import json

import pytest
from langchain_core.messages import AIMessage, ToolMessage

from hitl_tui.errors import UsageError
from hitl_tui.hitl.kinds import Decision
from hitl_tui.hitl.resume import resume
from hitl_tui.hitl.snapshot import load_snapshot
from hitl_tui.runtime import Hub
from tests.conftest import run_cli

PATTERNS = "tests.graphs.patterns"


@pytest.fixture
def start(settings):
    """Run a pattern graph in-process until it waits; returns its Hub."""
    hubs: list[Hub] = []

    def run(name: str, graph_input, thread: str) -> Hub:
        hub = Hub(settings, graph_spec=f"{PATTERNS}:{name}")
        hubs.append(hub)
        config = {"configurable": {"thread_id": thread}}
        if name == "async_graph":
            asyncio.run(hub.graph.ainvoke(graph_input, config))
        else:
            hub.graph.invoke(graph_input, config)
        return hub

    yield run
    for hub in hubs:
        hub.close()


def cli(cli_env, name: str, *args: str):
    return run_cli([*args, "--graph", f"{PATTERNS}:{name}"], cli_env)


def state(hub: Hub, thread: str):
    return hub.graph.get_state({"configurable": {"thread_id": thread}})


def pending(hub: Hub, thread: str) -> list[dict]:
    return [item.as_json() for item in load_snapshot(hub.store, thread).pending]


def answer(hub: Hub, thread: str, decision: Decision, interrupt: str | None = None) -> None:
    resume(hub, thread, decision, "alice", interrupt)


def refusal(hub: Hub, thread: str, decision: Decision, interrupt: str | None = None) -> str:
    with pytest.raises(UsageError) as refused:
        resume(hub, thread, decision, "alice", interrupt)
    return str(refused.value)


def test_approve_routes_with_command_goto(start, cli_env):
    hub = start("approve_with_goto", {}, "goto-1")
    [item] = pending(hub, "goto-1")
    assert item["kind"] == "unknown" and item["value"]["question"] == "Send this reply?"
    done = cli(cli_env, "approve_with_goto", "resume", "goto-1", "--json-value", '"approve"')
    assert done.returncode == 0, done.stderr
    assert state(hub, "goto-1").values["outcome"] == "published"


def test_edit_state_keeps_exactly_the_edited_text(start, cli_env):
    hub = start("edit_state", {}, "edit-1")
    edited = '{"edited_summary": "Q3 revenue grew 4% (unaudited)."}'
    done = cli(cli_env, "edit_state", "resume", "edit-1", "--json-value", edited)
    assert done.returncode == 0, done.stderr
    assert state(hub, "edit-1").values["summary"] == "Q3 revenue grew 4% (unaudited)."


def test_review_tool_call_edit_is_checked_against_the_graphs_own_tool(start, cli_env):
    hub = start("review_tool_call", {"messages": []}, "tool-1")
    wrong = {"order_id": "1234", "amount_cents": 1500, "note": "goodwill"}
    assert "order_id: must be integer, got string" in refusal(
        hub, "tool-1", Decision("edit", args=wrong)
    )
    assert state(hub, "tool-1").next == ("review_call",)  # nothing was sent
    edit = '{"order_id": 1234, "amount_cents": 1500, "note": "goodwill"}'
    done = cli(cli_env, "review_tool_call", "resume", "tool-1", "--edit", edit)
    assert done.returncode == 0, done.stderr
    assert "- amount_cents: 3000" in done.stdout and "+ amount_cents: 1500" in done.stdout
    messages = state(hub, "tool-1").values["messages"]
    calls = [m.tool_calls for m in messages if isinstance(m, AIMessage)]
    assert calls[-1][0]["args"] == {"order_id": 1234, "amount_cents": 1500, "note": "goodwill"}
    [result] = [m.content for m in messages if isinstance(m, ToolMessage)]
    assert result == "refunded 1500 cents on order 1234"


def test_review_tool_call_reject_runs_no_tool(start, cli_env):
    hub = start("review_tool_call", {"messages": []}, "tool-2")
    done = cli(cli_env, "review_tool_call", "resume", "tool-2", "--reject", "--reason", "no")
    assert done.returncode == 0, done.stderr
    messages = state(hub, "tool-2").values["messages"]
    assert not [m for m in messages if isinstance(m, ToolMessage)]


def test_wait_for_user_input_gets_the_plain_string(start, cli_env):
    hub = start("wait_for_input", {}, "prompt-1")
    [item] = pending(hub, "prompt-1")
    assert item["kind"] == "prompt" and item["value"] == "Please provide feedback:"
    refused = refusal(hub, "prompt-1", Decision("approve"))
    assert "cannot be answered with --approve; it accepts --data TEXT, --json-value JSON" in (
        refused
    )
    done = cli(cli_env, "wait_for_input", "resume", "prompt-1", "--data", "go to step 3!")
    assert done.returncode == 0, done.stderr
    assert state(hub, "prompt-1").values["feedback"] == "go to step 3!"


def test_validation_loop_asks_again_until_the_answer_is_valid(start, cli_env):
    hub = start("validate_in_loop", {}, "loop-1")
    answer(hub, "loop-1", Decision("respond", text="old"))
    [item] = pending(hub, "loop-1")
    assert item["value"] == "'old' is not an age. How old are you?"
    done = cli(cli_env, "validate_in_loop", "resume", "loop-1", "--data", "42")
    assert done.returncode == 0, done.stderr
    assert state(hub, "loop-1").values["age"] == 42


def test_two_interrupts_in_one_node_are_answered_in_turn(start, cli_env):
    hub = start("two_in_one_node", {}, "two-1")
    answer(hub, "two-1", Decision("respond", text="Ada"))
    [second] = pending(hub, "two-1")
    assert second["value"] == "And your age, Ada?"
    done = cli(cli_env, "two_in_one_node", "resume", "two-1", "--data", "36")
    assert done.returncode == 0, done.stderr
    assert state(hub, "two-1").values == {"name": "Ada", "age": 36}


def test_parallel_prompts_are_two_tickets_answered_one_by_one(start, cli_env):
    hub = start("parallel_prompts", {}, "par-1")
    items = pending(hub, "par-1")
    assert sorted(i["value"] for i in items) == ["Vote for north?", "Vote for south?"]
    north = next(i for i in items if "north" in i["value"])
    south = next(i for i in items if "south" in i["value"])
    answer(hub, "par-1", Decision("respond", text="yes"), north["interrupt_id"])
    assert [i["value"] for i in pending(hub, "par-1")] == ["Vote for south?"]
    done = cli(
        cli_env,
        "parallel_prompts",
        "resume",
        "par-1",
        "--interrupt",
        south["interrupt_id"],
        "--data",
        "no",
    )
    assert done.returncode == 0, done.stderr
    assert sorted(state(hub, "par-1").values["votes"]) == [["north", "yes"], ["south", "no"]]


def test_send_fan_out_has_one_ticket_per_send(start, cli_env):
    hub = start("send_fan_out", {}, "send-1")
    items = pending(hub, "send-1")
    assert sorted(i["value"]["query"] for i in items) == ["Keep item alpha?", "Keep item beta?"]
    assert {i["node"] for i in items} == {"item_review"}
    alpha = next(i for i in items if "alpha" in i["value"]["query"])
    beta = next(i for i in items if "beta" in i["value"]["query"])
    answer(hub, "send-1", Decision("respond", text="keep"), alpha["interrupt_id"])
    done = cli(
        cli_env,
        "send_fan_out",
        "resume",
        "send-1",
        "--interrupt",
        beta["interrupt_id"],
        "--data",
        "drop",
    )
    assert done.returncode == 0, done.stderr
    assert sorted(state(hub, "send-1").values["votes"]) == [["alpha", "keep"], ["beta", "drop"]]


def test_subgraph_interrupt_is_one_ticket_and_resumes_the_child(start, cli_env):
    hub = start("subgraph", {}, "sub-1")
    [item] = pending(hub, "sub-1")
    assert item["node"] == "child"
    done = cli(cli_env, "subgraph", "resume", "sub-1", "--data", "deep")
    assert done.returncode == 0, done.stderr
    assert state(hub, "sub-1").values["votes"] == [["inner", "deep"]]


def test_functional_api_is_one_ticket(start, cli_env):
    hub = start("essay_workflow", "cats", "fn-1")
    [item] = pending(hub, "fn-1")
    assert item["node"] == "essay_workflow" and item["value"]["question"] == "Keep this essay?"
    done = cli(cli_env, "essay_workflow", "resume", "fn-1", "--json-value", '{"keep": true}')
    assert done.returncode == 0, done.stderr
    assert state(hub, "fn-1").values == {
        "essay": "An essay about cats.",
        "verdict": {"keep": True},
    }


def test_breakpoint_before_is_a_ticket_and_continues_with_an_update(start, cli_env):
    hub = start("breakpoint_before", {"input": "raw"}, "bp-1")
    listed = json.loads(cli(cli_env, "breakpoint_before", "pending", "--json").stdout)
    [item] = [i for i in listed if i["thread_id"] == "bp-1"]
    assert item["kind"] == "breakpoint"
    assert item["value"] == {"when": "before", "next": ["step_3"], "state_keys": ["input", "trail"]}
    refused = refusal(hub, "bp-1", Decision("respond", text="x"))
    assert refused.endswith("it accepts --continue [--update JSON]")
    done = cli(
        cli_env,
        "breakpoint_before",
        "resume",
        "bp-1",
        "--continue",
        "--update",
        '{"input": "edited"}',
    )
    assert done.returncode == 0, done.stderr
    after = state(hub, "bp-1")
    assert after.next == () and after.values["trail"] == ["step_1", "step_2", "step_3"]
    assert after.values["input"] == "edited"


def test_breakpoint_after_continues_without_update(start, cli_env):
    hub = start("breakpoint_after", {"input": "raw"}, "bp-2")
    [item] = pending(hub, "bp-2")
    assert item["value"]["when"] == "after" and item["value"]["next"] == ["step_2"]
    done = cli(cli_env, "breakpoint_after", "resume", "bp-2", "--continue")
    assert done.returncode == 0, done.stderr
    assert state(hub, "bp-2").values["trail"] == ["step_1", "step_2", "step_3"]


def test_async_only_graph_resumes(start, cli_env):
    from hitl_tui.hitl.inbox import Inbox

    hub = start("async_graph", {}, "async-1")
    assert "async-1" in [i.thread_id for i in Inbox(hub.store).refresh()]  # written async
    done = cli(cli_env, "async_graph", "resume", "async-1", "--data", "from async")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    after = asyncio.run(hub.graph.aget_state({"configurable": {"thread_id": "async-1"}}))
    assert after.next == () and after.values["feedback"] == "from async"


@pytest.mark.parametrize(
    "thread", ["team/ops 42", "工单-七", "x" * 300, "esc \x1b[2J here", "emoji 🎫"]
)
def test_any_thread_id_langgraph_accepts_works_everywhere(start, cli_env, thread):
    from hitl_tui.hitl.inbox import Inbox

    hub = start("wait_for_input", {}, thread)
    assert thread in [i.thread_id for i in Inbox(hub.store).refresh()]
    if "\x1b" in thread:
        listed = cli(cli_env, "wait_for_input", "pending")
        assert "esc \\x1b[2J here" in listed.stdout and "\x1b" not in listed.stdout
    done = cli(cli_env, "wait_for_input", "resume", thread, "--data", "ok")
    assert done.returncode == 0, done.stderr
    assert state(hub, thread).values["feedback"] == "ok"


MIDDLEWARE = "tests.graphs.middleware"


def test_per_call_middleware_offers_only_what_response_schema_allows(settings, cli_env):
    hub = Hub(settings, graph_spec=f"{MIDDLEWARE}:per_call")
    try:
        hub.graph.invoke({"messages": [("user", "go")]}, {"configurable": {"thread_id": "pc-1"}})

        def run(*args: str):
            return run_cli([*args, "--graph", f"{MIDDLEWARE}:per_call"], cli_env)

        items = pending(hub, "pc-1")
        wipe = next(i for i in items if i["value"]["name"] == "wipe_disk")["interrupt_id"]
        refund = next(i for i in items if i["value"]["name"] == "refund_order")["interrupt_id"]
        refused = run("resume", "pc-1", "--interrupt", wipe, "--edit", "{}")
        assert refused.returncode == 2, refused.stderr
        assert "it accepts --approve, --reject [--reason TEXT], --json-value JSON" in (
            refused.stderr
        )
        wrong = {"order_id": 1234, "amount_cents": "15.00", "note": "x"}
        assert "amount_cents: must be integer" in refusal(
            hub, "pc-1", Decision("edit", args=wrong), refund
        )
        edit = '{"order_id": 1234, "amount_cents": 1500, "note": "goodwill"}'
        done = run("resume", "pc-1", "--interrupt", refund, "--edit", edit)
        assert done.returncode == 0, done.stderr
        answer(hub, "pc-1", Decision("reject"), wipe)
        messages = state(hub, "pc-1").values["messages"]
        results = {m.tool_call_id: m.content for m in messages if isinstance(m, ToolMessage)}
        assert results["call_refund"].endswith("\nrefunded 1500 cents on order 1234 (goodwill)")
        assert "rejected" in results["call_wipe"] and "wiped" not in results["call_wipe"]
    finally:
        hub.close()


def test_batched_middleware_edit_sends_exactly_what_was_written(settings, cli_env):
    hub = Hub(settings, graph_spec=f"{MIDDLEWARE}:batched")
    try:
        hub.graph.invoke({"messages": [("user", "go")]}, {"configurable": {"thread_id": "bt-1"}})
        edit = '{"order_id": 1234, "amount_cents": 999, "note": "partial", "ticket": "T-9"}'
        done = run_cli(
            ["resume", "bt-1", "--edit", edit, "--graph", f"{MIDDLEWARE}:batched"], cli_env
        )
        assert done.returncode == 0, done.stderr
        assert '+ ticket: "T-9"' in done.stdout
        messages = state(hub, "bt-1").values["messages"]
        [refund] = [m.content for m in messages if getattr(m, "tool_call_id", "") == "call_refund"]
        # The middleware reports the call that really ran: exactly the edit, nothing dropped.
        assert f"Executed instead: refund_order with arguments {edit}." in refund
        assert refund.endswith("refunded 999 cents on order 1234 (partial)")
    finally:
        hub.close()


def test_agent_inbox_edit_runs_the_tool_with_the_edited_arguments(settings, cli_env):
    from tests import graphs_hitl

    graphs_hitl.CALLS.clear()  # other tests in this worker may have run its tools here
    hub = Hub(settings, graph_spec="tests.graphs_hitl:agent_inbox")
    try:
        hub.graph.invoke({"log": []}, {"configurable": {"thread_id": "ai-1"}})
        edit = '{"to": "c@example.com", "subject": "weekly"}'
        done = run_cli(
            ["resume", "ai-1", "--edit", edit, "--graph", "tests.graphs_hitl:agent_inbox"],
            cli_env,
        )
        assert done.returncode == 0, done.stderr
        assert state(hub, "ai-1").values["log"] == ["sent to c@example.com"]
        assert graphs_hitl.CALLS == []  # it ran in the CLI's process, not here
    finally:
        hub.close()


def test_decimal_null_and_long_payloads_are_shown_and_refused_plainly(start, cli_env):
    hub = start("decimal_payload", {}, "dec-1")
    [item] = pending(hub, "dec-1")
    assert item["value"] == {"query": "Price ok?", "price": "1.10"}
    null = cli(cli_env, "decimal_payload", "resume", "dec-1", "--json-value", "null")
    assert null.returncode == 2 and "null cannot be sent" in null.stderr
    huge = start("huge_payload", {}, "huge-1")
    shown = cli(cli_env, "huge_payload", "show", "huge-1")
    assert shown.returncode == 0, shown.stderr
    assert len(shown.stdout) < 5000 and "see them all with --json" in shown.stdout
    assert len(pending(huge, "huge-1")[0]["value"]) > 250_000  # --json has it whole


def test_decoding_never_constructs_a_class_the_document_names(start, settings, cli_env):
    from hitl_tui.hitl.snapshot import load_snapshot
    from tests.graphs import patterns

    start("foreign_class_payload", {}, "cls-1")
    built = list(patterns.BUILT)
    plain = Hub(settings)
    try:
        snapshot = load_snapshot(plain.store, "cls-1")
    finally:
        plain.close()
    assert patterns.BUILT == built  # nothing was imported and constructed
    assert snapshot.pending[0].value == {"query": "Check this?", "marker": {"label": "seven"}}
    [problem] = snapshot.problems
    assert "Marker as plain data" in problem
    listed = run_cli(["pending"], cli_env)
    assert listed.returncode == 0 and listed.stderr == ""
    assert "! cls-1  decoding: kept tests.graphs.patterns.Marker as plain data" in listed.stdout


def test_encrypted_checkpoints_decode_with_the_graphs_own_serializer_or_the_key(
    start, settings, cli_env
):
    from tests.graphs.patterns import TEST_AES_KEY

    hub = start("encrypted", {}, "enc-1")
    doc = hub.store.checkpoints.find_one({"thread_id": "enc-1"})
    assert doc["type"].endswith("+aes")  # the state really is encrypted at rest
    blind = run_cli(["show", "enc-1", "--json"], cli_env)
    assert json.loads(blind.stdout)["problems"] and blind.stderr == ""
    keyed = run_cli(
        ["show", "enc-1", "--json"], {**cli_env, "LANGGRAPH_AES_KEY": TEST_AES_KEY.decode()}
    )
    assert json.loads(keyed.stdout)["pending"][0]["value"] == "Please provide feedback:"
    done = cli(cli_env, "encrypted", "resume", "enc-1", "--data", "secret ok")
    assert done.returncode == 0, done.stderr
    assert state(hub, "enc-1").values["feedback"] == "secret ok"
    latest = hub.store.checkpoints.find_one({"thread_id": "enc-1"}, sort=[("checkpoint_id", -1)])
    assert latest["type"].endswith("+aes")  # and the resumed run wrote it encrypted too


def test_an_answer_is_checked_against_the_interrupts_response_schema(start, cli_env):
    hub = start("typed_answer", {}, "typed-1")
    text = refusal(hub, "typed-1", Decision("respond", text="3"))
    assert text.endswith("does not fit what the graph expects: must be object, got string")
    wrong = refusal(hub, "typed-1", Decision("json", value={"seats": "3"}))
    assert wrong.endswith("seats: must be integer, got string")
    done = cli(cli_env, "typed_answer", "resume", "typed-1", "--json-value", '{"seats": 3}')
    assert done.returncode == 0, done.stderr
    assert state(hub, "typed-1").values["age"] == 3
