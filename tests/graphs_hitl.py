"""Real graphs of other programs, one per interrupt shape, with tools that record calls.

Loaded by tests in-process or with `--graph tests.graphs_hitl:NAME` in a CLI process.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any

from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from typing_extensions import TypedDict

CALLS: list[tuple[str, dict]] = []


@tool
def send_email(to: str, subject: str) -> str:
    """Send an email."""
    CALLS.append(("send_email", {"to": to, "subject": subject}))
    return f"sent to {to}"


@tool
def wipe_disk(disk: str) -> str:
    """Wipe a disk."""
    CALLS.append(("wipe_disk", {"disk": disk}))
    return f"wiped {disk}"


class ScriptedModel(BaseChatModel):
    """Calls both tools on the first turn, then reports what the tools said."""

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedModel:
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        last = messages[-1]
        if isinstance(last, HumanMessage):
            reply = AIMessage(
                "",
                tool_calls=[
                    {
                        "name": "send_email",
                        "args": {"to": "a@example.com", "subject": "hi"},
                        "id": "call_email",
                        "type": "tool_call",
                    },
                    {
                        "name": "wipe_disk",
                        "args": {"disk": "/dev/sda"},
                        "id": "call_wipe",
                        "type": "tool_call",
                    },
                ],
            )
        else:
            results = [m.content for m in messages if isinstance(m, ToolMessage)]
            reply = AIMessage("results: " + " | ".join(str(r) for r in results))
        return ChatResult(generations=[ChatGeneration(message=reply)])


def batched():
    return create_agent(
        ScriptedModel(),
        [send_email, wipe_disk],
        middleware=[
            HumanInTheLoopMiddleware(
                {"send_email": True, "wipe_disk": {"allowed_decisions": ["approve", "reject"]}}
            )
        ],
    )


def per_call():
    return create_agent(
        ScriptedModel(),
        [send_email, wipe_disk],
        middleware=[
            HumanInTheLoopMiddleware(
                {"send_email": True, "wipe_disk": True}, interrupt_mode="per_call"
            )
        ],
    )


class Log(TypedDict):
    log: Annotated[list, operator.add]


def _ask_a(state: Log) -> dict:
    return {"log": [("a", interrupt({"query": "Approve branch A?"})["data"])]}


def _ask_b(state: Log) -> dict:
    return {"log": [("b", interrupt({"query": "Approve branch B?"})["data"])]}


def parallel():
    builder = StateGraph(Log)
    builder.add_node("branch_a", _ask_a)
    builder.add_node("branch_b", _ask_b)
    builder.add_edge(START, "branch_a")
    builder.add_edge(START, "branch_b")
    builder.add_edge("branch_a", END)
    builder.add_edge("branch_b", END)
    return builder


def _inbox_node(state: Log) -> dict:
    request = {
        "action_request": {
            "action": "send_email",
            "args": {"to": "b@example.com", "subject": "report"},
        },
        "config": {
            "allow_accept": True,
            "allow_edit": True,
            "allow_respond": True,
            "allow_ignore": True,
        },
        "description": "Send the weekly report?",
    }
    [response] = interrupt([request])
    if response["type"] == "accept":
        return {"log": [send_email.invoke(request["action_request"]["args"])]}
    if response["type"] == "edit":
        return {"log": [send_email.invoke(response["args"]["args"])]}
    return {"log": [f"{response['type']}: {response.get('args')}"]}


def agent_inbox():
    builder = StateGraph(Log)
    builder.add_node("review", _inbox_node)
    builder.add_edge(START, "review")
    builder.add_edge("review", END)
    return builder
