"""What an interrupt kind is, and what an operator can decide."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hitl_tui.errors import UsageError


class Action(StrEnum):
    """What an operator can decide. Plain strings on the wire and in the audit."""

    RESPOND = "respond"
    APPROVE = "approve"
    REJECT = "reject"
    EDIT = "edit"
    JSON = "json"
    CONTINUE = "continue"


RESPOND, APPROVE, REJECT, EDIT, JSON = (
    Action.RESPOND,
    Action.APPROVE,
    Action.REJECT,
    Action.EDIT,
    Action.JSON,
)
CONTINUE = Action.CONTINUE

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


def refusal(kind: str, decision: Decision, allowed: tuple[str, ...]) -> UsageError:
    """Say which decision does not fit, and which flags would."""
    accepted = ", ".join(FLAGS.get(name, name) for name in allowed)
    used = FLAGS.get(decision.action, decision.action).split(" ")[0]
    return UsageError(f"a {kind!r} interrupt cannot be answered with {used}; it accepts {accepted}")


def needs_text(decision: Decision) -> str:
    if decision.text is None:
        raise UsageError("an answer text is needed (--data TEXT)")
    return decision.text
