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
