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


def _is_dict_with(*keys: str) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, dict) and all(key in value for key in keys)


def _refuse(kind: str, decision: Decision) -> UsageError:
    return UsageError(f"a {kind!r} interrupt cannot be answered with {decision.action!r}")


# -- query: the seed's {"query": ...}, answered with {"data": text} ----------------------
def _query_resume(value: Any, decision: Decision) -> Any:
    if decision.action == RESPOND:
        if decision.text is None:
            raise UsageError("an answer text is needed (--data TEXT)")
        return {"data": decision.text}
    if decision.action == JSON:
        return decision.value
    raise _refuse("query", decision)


QUERY = InterruptKind(
    name="query",
    matches=lambda v: isinstance(v, dict) and isinstance(v.get("query"), str) and len(v) <= 2,
    summary=lambda v: one_line(v["query"]),
    decisions=lambda v: (RESPOND,),
    resume_value=_query_resume,
    description="a question for a human; the answer goes back as {'data': text}",
)


# -- unknown: shown as JSON, answered with JSON the operator writes ---------------------
def _unknown_resume(value: Any, decision: Decision) -> Any:
    if decision.action == JSON:
        return decision.value
    if decision.action == RESPOND and decision.text is not None:
        return {"data": decision.text}
    raise _refuse("unknown", decision)


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

REGISTRY: list[InterruptKind] = [QUERY]


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

    for kind in [*REGISTRY, UNKNOWN]:
        if kind.name == name:
            return kind
    return UNKNOWN


# The other kinds register themselves; imported last because they build on this module.
import hitl_tui.hitl.kinds_builtin  # noqa: E402, F401
