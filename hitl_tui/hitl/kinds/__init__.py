"""The registry of interrupt kinds: how a payload is recognised, summarised, which
decisions it allows, and how a decision becomes the resume value.

Both front-ends use this one place, so the console and the CLI can never disagree about
what an answer means. `KINDS` is the whole list, in the order payloads are matched.
"""

from __future__ import annotations

from typing import Any

from hitl_tui.errors import UsageError
from hitl_tui.hitl.kinds.basic import BREAKPOINT, PROMPT, QUERY, UNKNOWN
from hitl_tui.hitl.kinds.model import (
    APPROVE,
    CONTINUE,
    EDIT,
    FLAGS,
    JSON,
    REJECT,
    RESPOND,
    Action,
    Decision,
    InterruptKind,
    refusal,
)
from hitl_tui.hitl.kinds.tools import (
    APPROVAL,
    HITL_REQUEST,
    HUMAN_INTERRUPT,
    PLAN,
    TOOL_APPROVAL,
)

__all__ = [
    "APPROVE",
    "CONTINUE",
    "EDIT",
    "FLAGS",
    "JSON",
    "KINDS",
    "REJECT",
    "RESPOND",
    "Action",
    "Decision",
    "InterruptKind",
    "allowed_decisions",
    "build_resume_value",
    "kind_named",
    "kind_of",
]

# The first kind whose `matches` accepts a payload wins: the specific shapes before the
# seed's plain question; a bare string is a prompt.
KINDS: tuple[InterruptKind, ...] = (
    PROMPT,
    HITL_REQUEST,
    TOOL_APPROVAL,
    HUMAN_INTERRUPT,
    PLAN,
    APPROVAL,
    QUERY,
)
_BY_NAME = {kind.name: kind for kind in (*KINDS, BREAKPOINT, UNKNOWN)}


def kind_of(value: Any) -> InterruptKind:
    for kind in KINDS:
        try:
            if kind.matches(value):
                return kind
        except Exception:  # a payload of another shape must never break detection
            continue
    return UNKNOWN


def kind_named(name: str) -> InterruptKind:
    return _BY_NAME.get(name, UNKNOWN)


_DECISION_TYPES = {APPROVE: "approve", REJECT: "reject", EDIT: "edit", RESPOND: "respond"}


def allowed_decisions(item: Any) -> tuple[str, ...]:
    """The decisions an interrupt allows: its kind's, narrowed by its `response_schema`."""
    from hitl_tui.hitl.json_schema import decision_types

    allowed = kind_named(item.kind).decisions(item.value)
    types = decision_types(getattr(item, "response_schema", None))
    if types is None:
        return allowed
    return tuple(d for d in allowed if d not in _DECISION_TYPES or _DECISION_TYPES[d] in types)


def build_resume_value(
    item: Any, decision: Decision, tool_schemas: dict[str, dict] | None = None
) -> Any:
    """The exact value to resume `item` with, or a UsageError saying why not.

    An edit is checked against the graph's own schema for the tool (the interrupt's
    `response_schema` first, then the loaded graph's tools) and sent exactly as written.
    """
    from hitl_tui.hitl.json_schema import edit_args_schema, first_error

    kind = kind_named(item.kind)
    allowed = allowed_decisions(item)
    if decision.action not in allowed:
        raise refusal(kind.name, decision, allowed)
    response_schema = getattr(item, "response_schema", None)
    if decision.action == JSON and decision.value is None:
        raise UsageError(
            "null cannot be sent: LangGraph reads a null answer as no answer; "
            f"use {', '.join(FLAGS[d] for d in allowed if d != JSON) or 'another value'}"
        )
    if decision.action == EDIT:
        tool = kind.edited_tool(item.value)
        schema = edit_args_schema(response_schema) or (tool_schemas or {}).get(str(tool))
        error = first_error(decision.args, schema) if schema else None
        if error:
            raise UsageError(f"edited arguments for {tool}: {error}")
    value = kind.resume_value(item.value, decision)
    if response_schema is not None:
        error = first_error(value, response_schema)
        if error:
            raise UsageError(f"the answer does not fit what the graph expects: {error}")
    return value
