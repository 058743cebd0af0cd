"""A deterministic support model that needs no network: it answers a small FAQ itself,
escalates everything else with `human_assistance`, and relays the operator's answer.

It implements langchain-core's chat-model interface (tool binding included), so the graph
runs exactly as it would with a real model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool

FAQ: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\b(reset|forgot|change)\b.*\bpassword\b|\bpassword\b.*\breset\b", re.I),
        "To reset your password, open **Settings → Account → Reset password** and follow "
        "the link we email you. The link is valid for 30 minutes.",
    ),
    (
        re.compile(r"\b(opening|office|support|business)\s+hours\b|\bwhen are you open\b", re.I),
        "Our support team is available **Monday to Friday, 08:00–18:00 UTC**. "
        "Urgent incidents are handled around the clock.",
    ),
    (
        re.compile(r"\brefund policy\b|\bcan i get a refund\b", re.I),
        "You can ask for a full refund within **30 days** of purchase; after that we offer "
        "account credit.",
    ),
    (
        re.compile(r"\b(price|pricing|plans?|cost)\b.*\b(plan|tier|subscription|month)\b", re.I),
        "We offer **Starter** ($9/month), **Team** ($29/month) and **Enterprise** "
        "(custom pricing) plans.",
    ),
    (
        re.compile(r"^\s*(hi|hello|hey)\b[\s!.]*$", re.I),
        "Hello! I'm the support assistant. Ask me anything; if I can't answer, "
        "I'll bring in a human operator.",
    ),
)

ESCALATION_NOTE = "This needs a specialist, so I've asked a human operator to help."
APPROVAL_NOTE = "That cannot be undone, so an operator must approve it first."
PLAN_NOTE = "Here is a plan; an operator will review it before any step runs."
MIGRATION_STEPS = [
    "Export the account's data",
    "Create the workspace in the target region",
    "Import the data into the new workspace",
    "Switch the account's traffic to the new workspace",
    "Delete the old workspace",
]


def _amount(text: str) -> float:
    found = re.search(
        r"(?:\$|€|£)\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:usd|eur|dollars?)", text, re.I
    )
    return float(next(g for g in found.groups() if g)) if found else 49.0


ACTIONS = (
    (
        "delete_customer_database",
        re.compile(r"\b(delete|drop|remove)\b.*\bdatabase\s+[\"']?([\w.-]+)", re.I),
        lambda m, text: {"db_name": m.group(2)},
        APPROVAL_NOTE,
    ),
    (
        "refund_order",
        re.compile(r"\brefund\b.*\border\s*#?\s*([\w-]+)", re.I),
        lambda m, text: {"order_id": m.group(1), "amount": _amount(text), "reason": text[:200]},
        APPROVAL_NOTE,
    ),
    (
        "propose_plan",
        # "plan" alone is not enough: "What does the Team plan cost?" is a pricing question.
        re.compile(r"\b(migrate|migration|move my account)\b|\bmake (me )?a plan\b", re.I),
        lambda m, text: {"goal": text[:200], "steps": list(MIGRATION_STEPS)},
        PLAN_NOTE,
    ),
)


def faq_answer(text: str) -> str | None:
    """The built-in answer for `text`, or None when a human is needed."""
    for pattern, answer in FAQ:
        if pattern.search(text):
            return answer
    return None


def _call_id(*parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:24]
    return f"call_{digest}"


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(
        part.get("text", "") if isinstance(part, dict) else str(part) for part in content
    )


class OfflineSupportModel(BaseChatModel):
    """The offline model; `bound_tools` are the tool names it may call."""

    bound_tools: tuple[str, ...] = ()

    @property
    def _llm_type(self) -> str:
        return "hitl-offline-support"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> OfflineSupportModel:
        names = tuple(convert_to_openai_tool(t)["function"]["name"] for t in tools)
        return self.model_copy(update={"bound_tools": names})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages))])

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        last = messages[-1] if messages else HumanMessage("")
        if isinstance(last, ToolMessage):
            return AIMessage(self._relay(last))
        text = _text(last).strip()
        turn = str(sum(isinstance(m, HumanMessage) for m in messages))
        action = self._action(text, turn)
        if action is not None:
            return action
        answer = faq_answer(text)
        if answer is not None:
            return AIMessage(answer)
        if "human_assistance" not in self.bound_tools:
            return AIMessage("I can't answer that, and no human operator is available.")
        return AIMessage(
            ESCALATION_NOTE,
            tool_calls=[
                {
                    "name": "human_assistance",
                    "args": {"query": text},
                    "id": _call_id(turn, text),
                    "type": "tool_call",
                }
            ],
        )

    def _action(self, text: str, turn: str) -> AIMessage | None:
        """A call to an approval-gated tool when the request asks for one."""
        for name, pattern, build, note in ACTIONS:
            match = pattern.search(text)
            if match and name in self.bound_tools:
                return AIMessage(
                    note,
                    tool_calls=[
                        {
                            "name": name,
                            "args": build(match, text),
                            "id": _call_id(turn, name, text),
                            "type": "tool_call",
                        }
                    ],
                )
        return None

    @staticmethod
    def _relay(result: ToolMessage) -> str:
        if result.name == "human_assistance":
            return f"Here's the answer from our support team:\n\n{_text(result)}"
        return _text(result)
