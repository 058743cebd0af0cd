"""How a message's role and an audited decision read, written once for the CLI and the
console (each adds its own styling)."""

from __future__ import annotations

from hitl_tui.hitl.jsonsafe import dumps

ROLE_COLOURS = {"user": "cyan", "assistant": "green", "tool": "magenta"}


def decision_words(entry: dict) -> str:
    """The decision as an operator would say it."""
    decision = entry.get("decision") or {}
    action = decision.get("action")
    if action == "respond":
        return f'answered "{decision.get("text") or ""}"'
    if action == "approve":
        return "approved"
    if action == "reject":
        return f'rejected: "{decision["text"]}"' if decision.get("text") else "rejected"
    if action == "edit":
        return "approved with edits " + dumps(decision.get("args"))
    if action == "json":
        return "sent JSON " + dumps(decision.get("value"))
    return str(action)


def decision_line(entry: dict) -> str:
    """One audited decision in words: when, who, what, how it ended."""
    when = str(entry.get("started_at"))[:19].replace("T", " ")
    line = f"{when}  {entry.get('operator')}  {decision_words(entry)}  → {entry.get('outcome')}"
    return line + (f": {entry['error']}" if entry.get("error") else "")
