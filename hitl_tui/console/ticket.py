"""The ticket an operator has opened, and what an edit of it starts from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hitl_tui.hitl.kinds import kind_named


@dataclass
class OpenTicket:
    """`claim_read` is the first inbox read that can know of our claim: only a read after it
    may conclude the claim was released or taken over."""

    key: str
    item: Any
    claim: Any = None
    claim_error: str | None = None
    claim_read: int | None = None
    claim_lost: str | None = None

    @property
    def thread_id(self) -> str:
        return self.item.thread_id


def current_args(item: Any) -> Any:
    """What an edit starts from: the kind's editable part, else the last tool call's args."""
    editable = kind_named(item.kind).editable(item.value)
    if editable is not None:
        return editable
    if item.tool_calls:
        return item.tool_calls[-1].get("args") or {}
    return {}
