"""LangChain agents with HumanInTheLoopMiddleware over tools with typed arguments."""

from __future__ import annotations

from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool


@tool
def refund_order(order_id: int, amount_cents: int, note: str) -> str:
    """Refund part of an order."""
    return f"refunded {amount_cents} cents on order {order_id} ({note})"


@tool
def wipe_disk(disk: str) -> str:
    """Wipe a disk."""
    return f"wiped {disk}"


class RefundAndWipe(BaseChatModel):
    """Asks for a refund and a wipe on the first turn, then repeats what the tools said."""

    @property
    def _llm_type(self) -> str:
        return "refund-and-wipe"

    def bind_tools(self, tools: Any, **kwargs: Any) -> RefundAndWipe:
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        if isinstance(messages[-1], HumanMessage):
            calls = [
                {
                    "name": "refund_order",
                    "args": {"order_id": 1234, "amount_cents": 3000, "note": "late"},
                    "id": "call_refund",
                    "type": "tool_call",
                },
                {
                    "name": "wipe_disk",
                    "args": {"disk": "/dev/sdb"},
                    "id": "call_wipe",
                    "type": "tool_call",
                },
            ]
            reply = AIMessage("", tool_calls=calls)
        else:
            results = [str(m.content) for m in messages if isinstance(m, ToolMessage)]
            reply = AIMessage("results: " + " | ".join(results))
        return ChatResult(generations=[ChatGeneration(message=reply)])


def per_call():
    return create_agent(
        RefundAndWipe(),
        [refund_order, wipe_disk],
        middleware=[
            HumanInTheLoopMiddleware(
                {"refund_order": True, "wipe_disk": {"allowed_decisions": ["approve", "reject"]}},
                interrupt_mode="per_call",
            )
        ],
    )


def batched():
    return create_agent(
        RefundAndWipe(),
        [refund_order, wipe_disk],
        middleware=[HumanInTheLoopMiddleware({"refund_order": True}, interrupt_mode="batched")],
    )
