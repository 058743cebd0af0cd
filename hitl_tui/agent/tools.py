"""Tools of the built-in support agent, including the seed's safety patterns.

`human_assistance` asks a human a question. The action tools interrupt for approval
before they do anything irreversible, and `propose_plan` lets an operator approve, edit
or reject a plan before any of its steps runs. Every executed action is reported in the
tool's message.

The effects are idempotent: each is recorded in the effect ledger, keyed by thread and
tool-call id, before it runs, so a node re-run after a crash reports "already done"
instead of deleting or refunding twice. `EFFECTS` holds what each action does: in this
demo agent nothing beyond the ledger's record, which is where its effects are observed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from langgraph.types import interrupt
from pydantic import BaseModel, Field

from hitl_tui.hitl.effects import EffectLedger, PriorRun


def _demo_effect(args: dict[str, Any]) -> None:
    """The demo's actions touch nothing outside the ledger that records them."""


EFFECTS: dict[str, Callable[[dict[str, Any]], None]] = {
    action: _demo_effect for action in ("delete_customer_database", "refund_order", "plan_step")
}
_ledger = EffectLedger()


def use_ledger(ledger: EffectLedger) -> None:
    """Record effects in `ledger` (the database's, once a front-end has connected)."""
    global _ledger
    _ledger = ledger


def _once(
    runtime: ToolRuntime, action: str, args: dict[str, Any], key: str = ""
) -> PriorRun | None:
    """Perform `action` unless this tool call performed it before; the prior run if so."""
    thread_id = str((runtime.config.get("configurable") or {}).get("thread_id", ""))
    call_id = f"{runtime.tool_call_id}{key}"
    outcome = _ledger.once(thread_id, call_id, action, lambda: EFFECTS[action](args))
    return outcome if isinstance(outcome, PriorRun) else None


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
def delete_customer_database(db_name: str, runtime: ToolRuntime) -> str:
    """Delete a customer's database. Irreversible: an operator approves it first."""
    args, why = _approved(
        "delete_customer_database",
        f"Delete the customer database {db_name!r}?",
        {"db_name": db_name},
    )
    if args is None:
        return f"An operator rejected deleting the database {db_name}{why}. Nothing was deleted."
    prior = _once(runtime, "delete_customer_database", args.model_dump())
    if prior is not None:
        return f"Deleting the database {args.db_name}: {prior.sentence()}."
    return f"The database {args.db_name} was deleted."


@tool(args_schema=RefundArgs)
def refund_order(order_id: str, amount: float, runtime: ToolRuntime, reason: str = "") -> str:
    """Refund an order. Money leaves the company: an operator approves it first."""
    args, why = _approved(
        "refund_order",
        f"Refund {amount:.2f} for order {order_id}?",
        {"order_id": order_id, "amount": amount, "reason": reason},
    )
    if args is None:
        return f"An operator rejected the refund of order {order_id}{why}. No money was moved."
    prior = _once(runtime, "refund_order", args.model_dump())
    if prior is not None:
        return f"Refunding order {args.order_id}: {prior.sentence()}."
    return f"Refunded {args.amount:.2f} for order {args.order_id}."


@tool
def propose_plan(goal: str, steps: list[str], runtime: ToolRuntime) -> str:
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
        prior = _once(runtime, "plan_step", {"step": str(step)}, key=f"#{number}")
        done.append(f"{number}. {step}: " + (prior.sentence() if prior else "done"))
    return "Executed the approved steps:\n" + "\n".join(done)


SUPPORT_TOOLS = [human_assistance, delete_customer_database, refund_order, propose_plan]
