"""Decisions in words a user or an operator reads: "approved", "rejected: duplicate",
"changed amount from 40.0 to 35.0", "removed step 3 (Delete the old workspace)".

Used by the chat (what the user is told), the Decided view and the ticket's history.
"""

from __future__ import annotations

from typing import Any

from hitl_tui.hitl.jsonsafe import dumps
from hitl_tui.hitl.safe_text import one_line


def tool_title(name: object) -> str:
    """A tool's name as a person would say it: refund_order → Refund order."""
    text = str(name or "").replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else "a tool"


def tool_of(value: Any, tool_calls: list[dict]) -> str | None:
    """The tool an interrupt asks about, from the payload's usual places, else the last
    tool call of the agent."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        value = value[0]
    if isinstance(value, dict):
        for key in ("tool", "name"):
            if isinstance(value.get(key), str):
                return value[key]
        requests = value.get("action_requests")
        if isinstance(requests, list):
            return ", ".join(str(r.get("name")) for r in requests if isinstance(r, dict))
        request = value.get("action_request")
        if isinstance(request, dict):
            return str(request.get("action"))
    if tool_calls:
        return str(tool_calls[-1].get("name"))
    return None


def changes(before: Any, after: Any) -> list[str]:
    """What an edit changed, one short phrase per change."""
    if isinstance(before, list) and isinstance(after, list):
        return _step_changes(before, after)
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in after:
            if key not in before:
                out.append(f"added {key} = {_short(after[key])}")
            elif before[key] != after[key]:
                out.append(f"changed {key} from {_short(before[key])} to {_short(after[key])}")
        out += [f"removed {key}" for key in before if key not in after]
        return out
    return [] if before == after else [f"changed {_short(before)} to {_short(after)}"]


def _step_changes(before: list, after: list) -> list[str]:
    out = []
    for number, step in enumerate(before, start=1):
        if step not in after:
            out.append(f"removed step {number} ({_short(step)})")
    for step in after:
        if step not in before:
            out.append(f"added step {_short(step)}")
    kept_before = [s for s in before if s in after]
    kept_after = [s for s in after if s in before]
    if kept_before != kept_after:
        out.append("changed the order of the steps")
    return out


def decision_summary(decision: dict, original: Any = None, tool: object = None) -> str:
    """One sentence for an audited decision; `original` is what an edit started from."""
    action = decision.get("action")
    what = f" {tool_title(tool)}" if tool else ""
    if action == "respond":
        return "An operator answered" + (f": {_short(decision.get('text'), 120)}")
    if action == "approve":
        return f"An operator approved{what}."
    if action == "reject":
        reason = decision.get("text")
        return f"An operator rejected{what}" + (f": {_short(reason, 120)}" if reason else ".")
    if action == "edit":
        edited = decision.get("args")
        listed = changes(original, edited) if original is not None else []
        if listed:
            return f"An operator approved{what} with changes: " + "; ".join(listed) + "."
        return f"An operator approved{what} with edited arguments {_short(edited, 120)}."
    if action == "json":
        return f"An operator answered with the value {_short(decision.get('value'), 120)}."
    if action == "continue":
        return "An operator let the run continue."
    return f"An operator decided: {_short(action)}."


def _short(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else dumps(value)
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
