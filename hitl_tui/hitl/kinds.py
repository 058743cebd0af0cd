"""The registry of interrupt kinds: how a payload is recognised, summarised, which
decisions it allows, and how a decision becomes the resume value.

Both front-ends use this one place, so the console and the CLI can never disagree about
what an answer means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hitl_tui.errors import UsageError
from hitl_tui.hitl.safe_text import one_line

RESPOND, APPROVE, REJECT, EDIT, JSON = "respond", "approve", "reject", "edit", "json"
CONTINUE = "continue"

# How each decision is written on the command line, for refusals that say what would work.
FLAGS = {
    RESPOND: "--data TEXT",
    APPROVE: "--approve",
    REJECT: "--reject [--reason TEXT]",
    EDIT: "--edit JSON",
    JSON: "--json-value JSON",
    CONTINUE: "--continue [--update JSON]",
}


@dataclass(frozen=True)
class Decision:
    """What an operator decided. `text` is the answer or the reason; `args` edited arguments;
    `value` a raw JSON value written by hand."""

    action: str
    text: str | None = None
    args: Any = None
    value: Any = None


@dataclass(frozen=True)
class InterruptKind:
    name: str
    matches: Callable[[Any], bool]
    summary: Callable[[Any], str]
    decisions: Callable[[Any], tuple[str, ...]]
    resume_value: Callable[[Any, Decision], Any]
    description: str = ""
    # What an edit starts from (the current arguments or steps), or None if not editable.
    editable: Callable[[Any], Any] = field(default=lambda value: None)
    # The tool whose arguments an edit replaces, so the edit is checked against its schema.
    edited_tool: Callable[[Any], str | None] = field(default=lambda value: None)
    # Decisions that let the graph act and cannot be taken back: a console confirms them.
    destructive: frozenset[str] = frozenset({APPROVE, EDIT, JSON, CONTINUE})


def _is_dict_with(*keys: str) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, dict) and all(key in value for key in keys)


def refusal(kind: str, decision: Decision, allowed: tuple[str, ...]) -> UsageError:
    """Say which decision does not fit, and which flags would."""
    accepted = ", ".join(FLAGS.get(name, name) for name in allowed)
    used = FLAGS.get(decision.action, decision.action).split(" ")[0]
    return UsageError(f"a {kind!r} interrupt cannot be answered with {used}; it accepts {accepted}")


def _needs_text(decision: Decision) -> str:
    if decision.text is None:
        raise UsageError("an answer text is needed (--data TEXT)")
    return decision.text


# -- query: the seed's {"query": ...}, answered with {"data": text} ----------------------
def _query_resume(value: Any, decision: Decision) -> Any:
    if decision.action == RESPOND:
        return {"data": _needs_text(decision)}
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
        return _needs_text(decision)
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

REGISTRY: list[InterruptKind] = [PROMPT, QUERY]


def register(kind: InterruptKind, *, before: str | None = None) -> None:
    """Add a kind; the first kind whose `matches` accepts a payload wins."""
    if before is None:
        REGISTRY.append(kind)
    else:
        names = [k.name for k in REGISTRY]
        REGISTRY.insert(names.index(before), kind)


def kind_of(value: Any) -> InterruptKind:

    for kind in REGISTRY:
        try:
            if kind.matches(value):
                return kind
        except Exception:  # a payload of another shape must never break detection
            continue
    return UNKNOWN


def kind_named(name: str) -> InterruptKind:

    for kind in [*REGISTRY, BREAKPOINT, UNKNOWN]:
        if kind.name == name:
            return kind
    return UNKNOWN


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


# The other kinds register themselves; imported last because they build on this module.
import hitl_tui.hitl.kinds_builtin  # noqa: E402, F401
