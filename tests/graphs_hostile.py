"""A graph that interrupts with whatever another program wrote into its state: the way
hostile text (tool calls, payload keys, questions) reaches the inbox."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import interrupt


class Hostile(MessagesState):
    payload: Any


def _wait_for_a_human(state: Hostile) -> dict:
    return {"payload": interrupt(state["payload"])}


def hostile():
    builder = StateGraph(Hostile)
    builder.add_node("wait_for_a_human", _wait_for_a_human)
    builder.add_edge(START, "wait_for_a_human")
    builder.add_edge("wait_for_a_human", END)
    return builder
