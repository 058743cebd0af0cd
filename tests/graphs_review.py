"""A small graph of another program whose interrupting node is not in the built-in graph."""

from __future__ import annotations

from typing import Annotated

from langchain_core.messages import AIMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import interrupt
from typing_extensions import TypedDict


class State(TypedDict):
    messages: Annotated[list, add_messages]


def review(state: State) -> dict:
    verdict = interrupt({"query": "Is this draft ready?"})
    return {"messages": [AIMessage(f"Reviewer said: {verdict['data']}")]}


def make_builder() -> StateGraph:
    builder = StateGraph(State)
    builder.add_node("review", review)
    builder.add_edge(START, "review")
    builder.add_edge("review", END)
    return builder


builder = make_builder()
compiled = builder.compile()
not_a_graph = 42
