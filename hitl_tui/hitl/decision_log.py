"""Where each operator decision sits in a thread's conversation, and what it said, so the
chat can tell the user what an operator decided right where it happened."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hitl_tui.hitl.decision_text import decision_summary
from hitl_tui.hitl.store import Store

Note = tuple[int, str]  # (number of messages before the decision, the sentence)
SnapshotAt = Callable[[str, Any], Any]  # (thread id, checkpoint id) -> a snapshot or None


def decision_notes(
    store: Store, thread_id: str, cache: dict[str, Note], snapshot_at: SnapshotAt
) -> list[Note]:
    """Notes for every decision that resumed the thread, oldest first. A decision's place
    is the length of the conversation at the checkpoint it answered, read from wherever
    the thread lives (`snapshot_at`: the source's own reader); `cache` keeps what was
    worked out already, so each checkpoint is read once."""
    from hitl_tui.hitl import audit

    notes = []
    for entry in decided_entries(audit.history(store, thread_id)):
        decision = entry["decision"]
        if entry.get("outcome") != "resumed":
            continue
        key = f"{thread_id}/{entry.get('seq')}"  # an event's place in the audit chain
        if key not in cache:
            before = snapshot_at(thread_id, entry.get("checkpoint_before"))
            messages = before.messages if before else []
            tool, original = _asked(messages, decision.get("args"))
            cache[key] = (len(messages), decision_summary(decision, original, tool))
        notes.append(cache[key])
    return notes


def _asked(messages: list[Any], edited: Any) -> tuple[str | None, Any]:
    """The tool the agent called before the decision and the arguments it asked for (for a
    list edit, such as a plan's steps, the list among them)."""
    from hitl_tui.hitl.snapshot import last_tool_calls

    calls = last_tool_calls(messages)
    if not calls:
        return None, None
    call = calls[-1]
    args = call.get("args")
    if isinstance(edited, list) and isinstance(args, dict):
        args = next((v for v in args.values() if isinstance(v, list)), args)
    return call.get("name"), args


TERMINAL = ("resumed", "failed", "abandoned", "claim-lost", "forced")


def decided_entries(entries: list[dict]) -> list[dict]:
    """Audited decisions, oldest first, one dict each with `decision`, `payload`,
    `checkpoint_before`, `started_at`, `outcome` and `error`, whether the audit keeps
    one record per decision or one event per step (started, then resumed or failed)."""
    out: list[dict] = []
    open_by_interrupt: dict = {}
    for entry in entries:
        event = entry.get("event")
        if event is None:  # one record per decision
            if isinstance(entry.get("decision"), dict):
                out.append(_complete(dict(entry)))
            continue
        key = (entry.get("thread_id"), entry.get("interrupt_id"))
        if event == "started" and isinstance(entry.get("decision"), dict):
            row = _complete({**entry, "started_at": entry.get("at"), "outcome": "started"})
            open_by_interrupt[key] = row
            out.append(row)
        elif event in TERMINAL and key in open_by_interrupt:
            row = open_by_interrupt.pop(key)
            row["outcome"] = event
            row["error"] = entry.get("error")
            row["checkpoint_after"] = entry.get("checkpoint_after")
    return out


def _complete(row: dict) -> dict:
    """Fill the decision's text or arguments from what was sent, where only the action
    was recorded."""
    decision = dict(row.get("decision") or {})
    payload = row.get("payload")
    first = payload[0] if isinstance(payload, list) and payload else payload
    if isinstance(first, dict):
        if decision.get("action") == "reject" and not decision.get("text"):
            decision["text"] = first.get("reason") or first.get("message")
        if decision.get("action") == "respond" and not decision.get("text"):
            decision["text"] = first.get("data") or first.get("message")
        if decision.get("action") == "edit" and decision.get("args") is None:
            edited = first.get("edited_action") or {}
            decision["args"] = first.get("args") or edited.get("args") or first.get("data")
    row["decision"] = decision
    return row
