"""The state of the ticket an operator has opened, kept outside the widgets that show it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hitl_tui.console.answer_box import REASON
from hitl_tui.hitl.kinds import (
    APPROVE,
    CONTINUE,
    JSON,
    REJECT,
    RESPOND,
    allowed_decisions,
    kind_named,
)


@dataclass
class OpenTicket:
    """`claim_seq` is the first inbox refresh that can know of our claim: only a refresh
    after it may conclude the claim was released or taken over."""

    key: str
    item: Any
    mode: str
    claim: Any = None
    claim_error: str | None = None
    claim_seq: int | None = None
    claim_lost: str | None = None

    @property
    def allowed(self) -> tuple[str, ...]:
        return allowed_decisions(self.item)

    @property
    def base_mode(self) -> str:
        return base_mode(self.allowed)


def base_mode(allowed: tuple[str, ...]) -> str:
    """Where a ticket opens: a text answer, a breakpoint's optional state update, a reason
    beside approve/reject, or JSON."""
    if APPROVE in allowed or REJECT in allowed:
        return REASON  # a decision key decides; text typed is a reason (or an answer)
    if RESPOND in allowed:
        return RESPOND
    if CONTINUE in allowed:
        return CONTINUE
    return JSON


def current_args(item: Any) -> Any:
    """What an edit starts from: the kind's editable part, else the last tool call's args."""
    editable = kind_named(item.kind).editable(item.value)
    if editable is not None:
        return editable
    if item.tool_calls:
        return item.tool_calls[-1].get("args") or {}
    return {}
