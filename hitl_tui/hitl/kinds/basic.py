"""The kinds every graph can raise: a question, a bare prompt, a static breakpoint, and
anything else (answered with JSON)."""

from __future__ import annotations

from typing import Any

from hitl_tui.hitl.kinds.model import (
    CONTINUE,
    JSON,
    RESPOND,
    Decision,
    InterruptKind,
    needs_text,
    refusal,
)
from hitl_tui.hitl.safe_text import one_line


# -- query: the seed's {"query": ...}, answered with {"data": text} ----------------------
def _query_resume(value: Any, decision: Decision) -> Any:
    if decision.action == RESPOND:
        return {"data": needs_text(decision)}
    if decision.action == JSON:
        return decision.value
    raise refusal("query", decision, (RESPOND, JSON))


QUERY = InterruptKind(
    name="query",
    matches=lambda v: isinstance(v, dict) and isinstance(v.get("query"), str) and len(v) <= 2,
    summary=lambda v: one_line(v["query"]),
    decisions=lambda v: (RESPOND, JSON),
    resume_value=_query_resume,
    description="a question for a human; your text goes back to the agent as the answer",
    destructive=frozenset(),
)


# -- unknown: shown as JSON, answered with JSON the operator writes ---------------------
def _unknown_resume(value: Any, decision: Decision) -> Any:
    if decision.action == JSON:
        return decision.value
    if decision.action == RESPOND and decision.text is not None:
        return {"data": decision.text}
    raise refusal("unknown", decision, (JSON, RESPOND))


def _unknown_summary(value: Any) -> str:
    from hitl_tui.hitl.jsonsafe import dumps

    return one_line(dumps(value))


UNKNOWN = InterruptKind(
    name="unknown",
    matches=lambda v: True,
    summary=_unknown_summary,
    decisions=lambda v: (JSON, RESPOND),
    resume_value=_unknown_resume,
    description="any other payload; answered with a JSON value",
)


# -- prompt: a bare string, as in `interrupt("Please provide feedback:")` ----------------
def _prompt_resume(value: Any, decision: Decision) -> Any:
    if decision.action == RESPOND:
        return needs_text(decision)
    if decision.action == JSON:
        return decision.value
    raise refusal("prompt", decision, (RESPOND, JSON))


PROMPT = InterruptKind(
    name="prompt",
    matches=lambda v: isinstance(v, str),
    summary=one_line,
    decisions=lambda v: (RESPOND, JSON),
    resume_value=_prompt_resume,
    description="a question as plain text; the answer goes back as the plain text",
    destructive=frozenset(),
)


# -- breakpoint: a static interrupt_before / interrupt_after, continued with no value ----
def _breakpoint_resume(value: Any, decision: Decision) -> Any:
    if decision.action == CONTINUE:
        return None
    raise refusal("breakpoint", decision, (CONTINUE,))


BREAKPOINT = InterruptKind(
    name="breakpoint",
    matches=lambda v: False,  # never a payload: the thread stopped before or after a node
    summary=lambda v: one_line(
        f"paused {v.get('when', 'before')} {', '.join(map(str, v.get('next') or []))}"
        if isinstance(v, dict)
        else "paused at a breakpoint"
    ),
    decisions=lambda v: (CONTINUE,),
    resume_value=_breakpoint_resume,
    description="a static breakpoint; continue the run, optionally updating the state first",
)
