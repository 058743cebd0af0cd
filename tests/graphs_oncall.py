"""The smallest graph that leaves a ticket: one node that asks a human, by kind."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from typing_extensions import TypedDict


class State(TypedDict):
    text: str
    kind: str


def ask_a_human(state: State) -> dict:
    if state["kind"] == "approval":
        answer = interrupt({"action": state["text"]})
    else:
        answer = interrupt({"query": state["text"]})
    return {"text": str(answer)}


def ticket_graph(saver):
    builder = StateGraph(State)
    builder.add_node("ask_a_human", ask_a_human)
    builder.add_edge(START, "ask_a_human")
    builder.add_edge("ask_a_human", END)
    return builder.compile(checkpointer=saver)


def open_ticket(saver, thread_id: str, text: str = "Help me", kind: str = "query") -> None:
    """Leave one pending interrupt on `thread_id`."""
    ticket_graph(saver).invoke(
        {"text": text, "kind": kind}, {"configurable": {"thread_id": thread_id}}
    )


def answer_ticket(saver, thread_id: str, answer: str = "done") -> None:
    from langgraph.types import Command

    ticket_graph(saver).invoke(
        Command(resume={"data": answer}), {"configurable": {"thread_id": thread_id}}
    )
