"""One small graph per upstream human-in-the-loop pattern, each recording what it did.

Every graph is exported as a builder or a factory, the way `--graph MODULE:ATTR` loads it;
`EFFECTS` records tool calls, so a test can check what really ran, with which arguments.
"""

from __future__ import annotations

import asyncio
import operator
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langgraph.func import entrypoint, task
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode
from langgraph.types import Command, Send, interrupt
from typing_extensions import TypedDict

EFFECTS: list[tuple[str, Any]] = []


# -- approve or reject, routed with Command(goto) -------------------------------------------
class Draft(TypedDict, total=False):
    text: str
    outcome: str


def write_draft(state: Draft) -> dict:
    return {"text": "Dear customer, your refund is on its way."}


def human_gate(state: Draft) -> Command:
    verdict = interrupt({"question": "Send this reply?", "llm_output": state["text"]})
    return Command(goto="publish" if verdict == "approve" else "discard")


def publish(state: Draft) -> dict:
    EFFECTS.append(("publish", state["text"]))
    return {"outcome": "published"}


def discard(state: Draft) -> dict:
    return {"outcome": "discarded"}


def approve_with_goto() -> StateGraph:
    builder = StateGraph(Draft)
    builder.add_node("write_draft", write_draft)
    builder.add_node("human_gate", human_gate, destinations=("publish", "discard"))
    builder.add_node("publish", publish)
    builder.add_node("discard", discard)
    builder.add_edge(START, "write_draft")
    builder.add_edge("write_draft", "human_gate")
    builder.add_edge("publish", END)
    builder.add_edge("discard", END)
    return builder


# -- edit the state: the human rewrites a generated summary -----------------------------------
class Summary(TypedDict, total=False):
    summary: str


def summarise(state: Summary) -> dict:
    return {"summary": "Q3 revenue grew 4%."}


def review_summary(state: Summary) -> dict:
    edited = interrupt(
        {"task": "Edit the summary if needed.", "generated_summary": state["summary"]}
    )
    return {"summary": edited["edited_summary"]}


def edit_state() -> StateGraph:
    builder = StateGraph(Summary)
    builder.add_node("summarise", summarise)
    builder.add_node("review_summary", review_summary)
    builder.add_edge(START, "summarise")
    builder.add_edge("summarise", "review_summary")
    builder.add_edge("review_summary", END)
    return builder


# -- review a tool call: the graph's own ToolNode tool, with int arguments --------------------
@tool
def refund_order(order_id: int, amount_cents: int, note: str) -> str:
    """Refund part of an order."""
    EFFECTS.append(
        ("refund_order", {"order_id": order_id, "amount_cents": amount_cents, "note": note})
    )
    return f"refunded {amount_cents} cents on order {order_id}"


class Chat(TypedDict):
    messages: Annotated[list, add_messages]


def plan_refund(state: Chat) -> dict:
    call = {
        "name": "refund_order",
        "args": {"order_id": 1234, "amount_cents": 3000, "note": "late delivery"},
        "id": "call_refund",
        "type": "tool_call",
    }
    return {"messages": [AIMessage("", tool_calls=[call])]}


def review_call(state: Chat) -> Command:
    call = state["messages"][-1].tool_calls[0]
    answer = interrupt({"action": "Refund this order?", "tool": call["name"], "args": call["args"]})
    if answer.get("data") != "approved":
        return Command(goto=END)
    edited = {**call, "args": answer.get("args") or call["args"]}
    message = AIMessage("", tool_calls=[edited], id=state["messages"][-1].id)
    return Command(goto="tools", update={"messages": [message]})


def review_tool_call() -> StateGraph:
    builder = StateGraph(Chat)
    builder.add_node("plan_refund", plan_refund)
    builder.add_node("review_call", review_call, destinations=("tools", END))
    builder.add_node("tools", ToolNode([refund_order]))
    builder.add_edge(START, "plan_refund")
    builder.add_edge("plan_refund", "review_call")
    builder.add_edge("tools", END)
    return builder


# -- a bare-string question (wait for user input), and validation in a loop -------------------
class Form(TypedDict, total=False):
    feedback: str
    age: int
    name: str


def ask_feedback(state: Form) -> dict:
    return {"feedback": interrupt("Please provide feedback:")}


def wait_for_input() -> StateGraph:
    builder = StateGraph(Form)
    builder.add_node("ask_feedback", ask_feedback)
    builder.add_edge(START, "ask_feedback")
    builder.add_edge("ask_feedback", END)
    return builder


def ask_age(state: Form) -> dict:
    question = "How old are you?"
    while True:
        answer = interrupt(question)
        if isinstance(answer, str) and answer.isdigit() and 0 < int(answer) < 130:
            return {"age": int(answer)}
        question = f"{answer!r} is not an age. How old are you?"


def validate_in_loop() -> StateGraph:
    builder = StateGraph(Form)
    builder.add_node("ask_age", ask_age)
    builder.add_edge(START, "ask_age")
    builder.add_edge("ask_age", END)
    return builder


def ask_twice(state: Form) -> dict:
    name = interrupt("Your name?")
    age = interrupt(f"And your age, {name}?")
    return {"name": name, "age": int(age)}


def two_in_one_node() -> StateGraph:
    builder = StateGraph(Form)
    builder.add_node("ask_twice", ask_twice)
    builder.add_edge(START, "ask_twice")
    builder.add_edge("ask_twice", END)
    return builder


# -- parallel branches, a subgraph, and Send ---------------------------------------------------
class Votes(TypedDict, total=False):
    votes: Annotated[list, operator.add]


def vote(name: str):
    def node(state: Votes) -> dict:
        return {"votes": [(name, interrupt(f"Vote for {name}?"))]}

    return node


def parallel_prompts() -> StateGraph:
    builder = StateGraph(Votes)
    for name in ("north", "south"):
        builder.add_node(name, vote(name))
        builder.add_edge(START, name)
        builder.add_edge(name, END)
    return builder


def fan_out(state: Votes) -> list[Send]:
    return [Send("item_review", {"votes": [item]}) for item in ("alpha", "beta")]


def item_review(state: Votes) -> dict:
    item = state["votes"][0]
    return {"votes": [(item, interrupt({"query": f"Keep item {item}?"})["data"])]}


def send_fan_out() -> StateGraph:
    builder = StateGraph(Votes)
    builder.add_node("item_review", item_review)
    builder.add_conditional_edges(START, fan_out, ["item_review"])
    builder.add_edge("item_review", END)
    return builder


def inner_question(state: Votes) -> dict:
    return {"votes": [("inner", interrupt({"query": "Inner question?"})["data"])]}


def subgraph() -> StateGraph:
    inner = StateGraph(Votes)
    inner.add_node("inner_question", inner_question)
    inner.add_edge(START, "inner_question")
    outer = StateGraph(Votes)
    outer.add_node("child", inner.compile())
    outer.add_edge(START, "child")
    outer.add_edge("child", END)
    return outer


# -- the functional API --------------------------------------------------------------------------
@task
def draft_essay(topic: str) -> str:
    return f"An essay about {topic}."


@task
def human_review(essay: str) -> Any:
    return interrupt({"question": "Keep this essay?", "essay": essay})


@entrypoint()
def essay_workflow(topic: str) -> dict:
    essay = draft_essay(topic).result()
    verdict = human_review(essay).result()
    EFFECTS.append(("essay", verdict))
    return {"essay": essay, "verdict": verdict}


# -- static breakpoints -------------------------------------------------------------------------
class Steps(TypedDict, total=False):
    input: str
    trail: Annotated[list, operator.add]


def step(name: str):
    def node(state: Steps) -> dict:
        EFFECTS.append((name, state.get("input")))
        return {"trail": [name]}

    return node


def _three_steps() -> StateGraph:
    builder = StateGraph(Steps)
    for name in ("step_1", "step_2", "step_3"):
        builder.add_node(name, step(name))
    builder.add_edge(START, "step_1")
    builder.add_edge("step_1", "step_2")
    builder.add_edge("step_2", "step_3")
    builder.add_edge("step_3", END)
    return builder


def breakpoint_before():
    return _three_steps().compile(interrupt_before=["step_3"])


def breakpoint_after():
    return _three_steps().compile(interrupt_after=["step_1"])


# -- an async-only graph ------------------------------------------------------------------------
async def async_gate(state: Form) -> dict:
    await asyncio.sleep(0)
    return {"feedback": interrupt("Async question:")}


async def async_done(state: Form) -> dict:
    await asyncio.sleep(0)
    EFFECTS.append(("async_done", state["feedback"]))
    return {}


def async_graph() -> StateGraph:
    builder = StateGraph(Form)
    builder.add_node("async_gate", async_gate)
    builder.add_node("async_done", async_done)
    builder.add_edge(START, "async_gate")
    builder.add_edge("async_gate", "async_done")
    builder.add_edge("async_done", END)
    return builder


# -- a payload with a Decimal and a big text --------------------------------------------------
def price_check(state: Form) -> dict:
    return {"feedback": interrupt({"query": "Price ok?", "price": Decimal("1.10")})["data"]}


def decimal_payload() -> StateGraph:
    builder = StateGraph(Form)
    builder.add_node("price_check", price_check)
    builder.add_edge(START, "price_check")
    builder.add_edge("price_check", END)
    return builder


def read_report(state: Form) -> dict:
    return {"feedback": interrupt("Report:\n" + "lorem ipsum " * 25_000)}


def huge_payload() -> StateGraph:
    builder = StateGraph(Form)
    builder.add_node("read_report", read_report)
    builder.add_edge(START, "read_report")
    builder.add_edge("read_report", END)
    return builder


# -- a payload naming a class of this module: decoding must not construct it -------------------
BUILT: list[str] = []


@dataclass
class Marker:
    label: str

    def __post_init__(self) -> None:
        BUILT.append(self.label)


def marked_question(state: Form) -> dict:
    return {"feedback": interrupt({"query": "Check this?", "marker": Marker("seven")})["data"]}


def foreign_class_payload() -> StateGraph:
    builder = StateGraph(Form)
    builder.add_node("marked_question", marked_question)
    builder.add_edge(START, "marked_question")
    builder.add_edge("marked_question", END)
    return builder


# -- a graph that brings its own, encrypting checkpointer --------------------------------------
TEST_AES_KEY = b"0123456789abcdef"


def encrypted():
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.checkpoint.serde.encrypted import EncryptedSerializer

    serde = EncryptedSerializer.from_pycryptodome_aes(key=TEST_AES_KEY)
    return wait_for_input().compile(checkpointer=InMemorySaver(serde=serde))


# -- an interrupt that declares the shape of its answer --------------------------------------
class Seats(TypedDict):
    seats: int


def ask_seats(state: Form) -> dict:
    answer = interrupt("How many seats?", response_schema=Seats)
    return {"age": answer["seats"]}


def typed_answer() -> StateGraph:
    builder = StateGraph(Form)
    builder.add_node("ask_seats", ask_seats)
    builder.add_edge(START, "ask_seats")
    builder.add_edge("ask_seats", END)
    return builder
