"""Tools of the built-in support agent, including the seed's safety patterns.

`human_assistance` asks a human a question. The action tools interrupt for approval
before they do anything irreversible, and `propose_plan` lets an operator approve, edit
or reject a plan before any of its steps runs. Every executed action is appended to
`EXECUTED`, so its effect is observable in-process, and reported in the tool's message.
"""

from __future__ import annotations

from typing import Any

from langchain_core.tools import tool
from langgraph.types import interrupt
from pydantic import BaseModel, Field

EXECUTED: list[dict[str, Any]] = []


@tool
def human_assistance(query: str) -> str:
    """Ask a human support operator for help with a question you cannot answer yourself."""
    human_response = interrupt({"query": query})
    return human_response["data"]


class DeleteDatabaseArgs(BaseModel):
    db_name: str = Field(min_length=1, description="name of the customer database")


class RefundArgs(BaseModel):
    order_id: str = Field(min_length=1)
    amount: float = Field(gt=0, le=10_000)
    reason: str = ""


ARG_SCHEMAS: dict[str, type[BaseModel]] = {
    "delete_customer_database": DeleteDatabaseArgs,
    "refund_order": RefundArgs,
}


def _approved(tool_name: str, question: str, args: dict[str, Any]) -> tuple[BaseModel | None, str]:
    """Interrupt for approval; the validated (possibly edited) arguments, or why not."""
    answer = interrupt({"action": question, "tool": tool_name, "args": args})
    if not isinstance(answer, dict) or answer.get("data") != "approved":
        reason = answer.get("reason") if isinstance(answer, dict) else None
        return None, f": {reason}" if reason else ""
    return ARG_SCHEMAS[tool_name].model_validate(answer.get("args") or args), ""


@tool(args_schema=DeleteDatabaseArgs)
def delete_customer_database(db_name: str) -> str:
    """Delete a customer's database. Irreversible: an operator approves it first."""
    args, why = _approved(
        "delete_customer_database",
        f"Delete the customer database {db_name!r}?",
        {"db_name": db_name},
    )
    if args is None:
        return f"An operator rejected deleting the database {db_name}{why}. Nothing was deleted."
    EXECUTED.append({"tool": "delete_customer_database", **args.model_dump()})
    return f"The database {args.db_name} was deleted."


@tool(args_schema=RefundArgs)
def refund_order(order_id: str, amount: float, reason: str = "") -> str:
    """Refund an order. Money leaves the company: an operator approves it first."""
    args, why = _approved(
        "refund_order",
        f"Refund {amount:.2f} for order {order_id}?",
        {"order_id": order_id, "amount": amount, "reason": reason},
    )
    if args is None:
        return f"An operator rejected the refund of order {order_id}{why}. No money was moved."
    EXECUTED.append({"tool": "refund_order", **args.model_dump()})
    return f"Refunded {args.amount:.2f} for order {args.order_id}."


@tool
def propose_plan(goal: str, steps: list[str]) -> str:
    """Propose a multi-step plan for a change; an operator approves, edits or rejects it
    before any step runs."""
    answer = interrupt({"plan": list(steps), "goal": goal})
    approved = answer.get("data") if isinstance(answer, dict) else None
    if not approved:
        reason = answer.get("reason") if isinstance(answer, dict) else None
        return (
            "An operator rejected the plan"
            + (f": {reason}" if reason else "")
            + ". No step was executed."
        )
    done = []
    for number, step in enumerate(approved, start=1):
        EXECUTED.append({"tool": "propose_plan", "step": str(step)})
        done.append(f"{number}. {step}: done")
    return "Executed the approved steps:\n" + "\n".join(done)


SUPPORT_TOOLS = [human_assistance, delete_customer_database, refund_order, propose_plan]
