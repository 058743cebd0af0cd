"""Graphs for fault tests: an approval-gated action whose every run is appended to a file
(ACTION_LOG), so "ran exactly once" can be checked across processes; and a tool that
blocks until a file appears (BLOCK_UNTIL), to kill or cut off a resume in the middle."""

from __future__ import annotations

import os
import time
from typing import Annotated

from langchain_core.messages import AIMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import interrupt
from typing_extensions import TypedDict


class State(TypedDict):
    messages: Annotated[list, add_messages]


def _record(line: str) -> None:
    with open(os.environ["ACTION_LOG"], "a") as log:
        log.write(line + "\n")


def delete_node(state: State) -> dict:
    answer = interrupt({"action": "Delete database prod?", "tool": "delete", "args": {}})
    if answer.get("data") != "approved":
        return {"messages": [AIMessage("cancelled")]}
    _record(f"deleted by {os.getpid()}")
    return {"messages": [AIMessage("deleted")]}


def slow_node(state: State) -> dict:
    answer = interrupt({"query": "Proceed?"})
    _record("started")
    gate = os.environ.get("BLOCK_UNTIL")
    deadline = time.monotonic() + 60
    while gate and not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.02)
    if os.environ.get("FAIL_IN_TOOL"):
        raise RuntimeError("the tool broke")
    _record("finished")
    return {"messages": [AIMessage(f"done: {answer['data']}")]}


def _single(node_name: str, node) -> StateGraph:
    builder = StateGraph(State)
    builder.add_node(node_name, node)
    builder.add_edge(START, node_name)
    builder.add_edge(node_name, END)
    return builder


def delete_graph() -> StateGraph:
    return _single("delete", delete_node)


def slow_graph() -> StateGraph:
    return _single("slow", slow_node)


def _wait_for_gate() -> None:
    gate = os.environ.get("BLOCK_UNTIL")
    deadline = time.monotonic() + 60
    while gate and not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.02)


def long_action_node(state: State) -> dict:
    """Approval, then an action that lasts until the test lets it finish (BLOCK_UNTIL)."""
    answer = interrupt({"action": "delete db X", "tool": "delete", "args": {"db": "X"}})
    if answer.get("data") != "approved":
        return {"messages": [AIMessage("cancelled")]}
    _record(f"start {os.getpid()}")
    _wait_for_gate()
    _record(f"end {os.getpid()}")
    return {"messages": [AIMessage("X deleted")]}


def long_action_graph() -> StateGraph:
    return _single("long_action", long_action_node)


def builtin_slow_delete_graph():
    """The built-in support agent and its own delete tool, whose effect takes a while (so a
    test can kill the resumer in the middle of it)."""
    from hitl_tui.agent import tools
    from hitl_tui.agent.graph import build_support_graph
    from hitl_tui.agent.offline import OfflineSupportModel

    def slow_delete(args: dict) -> None:
        _record(f"start {args['db_name']}")
        _wait_for_gate()
        _record(f"end {args['db_name']}")

    tools.EFFECTS["delete_customer_database"] = slow_delete
    return build_support_graph(OfflineSupportModel())


def _fan_out(state: State):
    from langgraph.types import Send

    return [Send("worker", {"messages": []})]


def worker_node(state: State) -> dict:
    answer = interrupt({"query": "What should the worker do?"})
    return {"messages": [AIMessage(f"worker: {answer['data']}")]}


def send_graph() -> StateGraph:
    """An interrupt raised inside a `Send` task."""
    builder = StateGraph(State)
    builder.add_node("plan", lambda state: {"messages": []})
    builder.add_node("worker", worker_node)
    builder.add_edge(START, "plan")
    builder.add_conditional_edges("plan", _fan_out, ["worker"])
    builder.add_edge("worker", END)
    return builder


def send_graph_without_worker() -> StateGraph:
    """The same program, deployed without the node the pending Send targets."""
    builder = StateGraph(State)
    builder.add_node("plan", lambda state: {"messages": []})
    builder.add_edge(START, "plan")
    builder.add_edge("plan", END)
    return builder


def first_step_node(state: State) -> dict:
    answer = interrupt(
        {"action": "migrate, then drop the old table", "tool": "migrate", "args": {}}
    )
    if answer.get("data") != "approved":
        return {"messages": [AIMessage("cancelled")]}
    _record("step1 started")
    _wait_for_gate()
    _record("step1 done")
    return {"messages": [AIMessage("migrated")]}


def second_step_node(state: State) -> dict:
    _record("step2: old table dropped")
    return {"messages": [AIMessage("dropped")]}


def two_step_graph() -> StateGraph:
    """An approval followed by two steps with effects, in two nodes."""
    builder = StateGraph(State)
    builder.add_node("first", first_step_node)
    builder.add_node("second", second_step_node)
    builder.add_edge(START, "first")
    builder.add_edge("first", "second")
    builder.add_edge("second", END)
    return builder
