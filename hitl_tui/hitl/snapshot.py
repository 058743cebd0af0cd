"""Decode one checkpoint of a thread, and its pending interrupts, without the graph's code.

Everything is decoded with LangGraph's own serializer. A document that cannot be decoded
(another program's types, corrupted bytes, missing fields) is reported as undecodable
instead of raising, so one bad thread never breaks the inbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from hitl_tui.hitl import langgraph_compat as compat
from hitl_tui.hitl.breakpoints import breakpoint_of
from hitl_tui.hitl.decoding import collecting_notes, folded
from hitl_tui.hitl.jsonsafe import to_jsonable
from hitl_tui.hitl.kinds import kind_of
from hitl_tui.hitl.latest import latest_checkpoint
from hitl_tui.hitl.store import Store
from hitl_tui.hitl.ticket_row import TicketRow


@dataclass(kw_only=True)
class PendingInterrupt(TicketRow):
    """One interrupt waiting for a human, decoded and ready to show."""

    value: Any
    tool_calls: list[dict]
    task_id: str
    node: str
    # The JSON schema the graph checks the answer against (`interrupt(response_schema=…)`).
    response_schema: Any = None

    def as_json(self, now: datetime | None = None) -> dict:
        return {
            "thread_id": self.thread_id,
            "interrupt_id": self.interrupt_id,
            "kind": self.kind,
            "value": to_jsonable(self.value),
            "tool_calls": to_jsonable(self.tool_calls),
            "created_at": self.created_at.isoformat(),
            "age_seconds": round(self.age_seconds(now), 3),
            "claimed_by": self.claimed_by,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "overdue": self.due_at is not None and (now or datetime.now(UTC)) >= self.due_at,
            "interrupted_attempt": self.interrupted_attempt,
            "checkpoint_id": self.checkpoint_id,
            "node": self.node,
            "response_schema": to_jsonable(self.response_schema),
        }


@dataclass
class ThreadSnapshot:
    thread_id: str
    checkpoint_id: str
    created_at: datetime
    messages: list[Any]
    next: list[str]
    pending: list[PendingInterrupt]
    problems: list[str] = field(default_factory=list)
    write_count: int = 0  # writes attached to this checkpoint when it was read
    unreadable: bool = False  # part of it could not be decoded by this process

    def source_fields(self) -> dict:
        """What a source adds to `show --json` (the Agent Server: status, graph, assistant)."""
        return {}


def latest_checkpoint_id(store: Store, thread_id: str) -> str | None:
    doc = latest_checkpoint(store.checkpoints, thread_id, projection={"checkpoint_id": 1})
    return doc["checkpoint_id"] if doc else None


def has_pending(store: Store, thread_id: str) -> bool:
    """Whether the thread's latest checkpoint has an interrupt no task has gone past, read
    from the writes alone: decoding a long conversation to learn this costs a turn dearly."""
    doc = latest_checkpoint(store.checkpoints, thread_id, projection={"checkpoint_id": 1})
    if doc is None:
        return False
    writes = list(
        store.writes.find(
            {"thread_id": thread_id, "checkpoint_ns": "", "checkpoint_id": doc["checkpoint_id"]},
            {"task_id": 1, "channel": 1},
        )
    )
    return compat.has_waiting_interrupt(writes)


def load_snapshot(
    store: Store, thread_id: str, checkpoint_id: str | None = None
) -> ThreadSnapshot | None:
    """The thread's latest checkpoint (or `checkpoint_id`), decoded; None if there is none."""
    if checkpoint_id is None:
        doc = latest_checkpoint(store.checkpoints, thread_id)
    else:
        query = {"thread_id": thread_id, "checkpoint_ns": "", "checkpoint_id": checkpoint_id}
        doc = store.checkpoints.find_one(query)
    return None if doc is None else snapshot_of(store, thread_id, doc)


def snapshot_of(
    store: Store, thread_id: str, doc: dict, writes: list[dict] | None = None
) -> ThreadSnapshot:
    """A checkpoint document of the thread, decoded with the writes attached to it
    (`writes`, when the caller has read them already)."""
    with collecting_notes() as notes:
        view = compat.view_of(doc, store.writes, store.reader, thread_id, writes)
        messages = view.messages
        created_at = _created_at(view.checkpoint, doc)
        tool_calls = last_tool_calls(messages)
        pending = [
            PendingInterrupt(
                thread_id=thread_id,
                interrupt_id=raw.interrupt_id,
                kind=kind_of(raw.value).name,
                value=raw.value,
                tool_calls=tool_calls,
                created_at=created_at,
                checkpoint_id=view.checkpoint_id,
                task_id=raw.task_id,
                node=raw.node,
                response_schema=raw.response_schema,
            )
            for raw in view.interrupts
        ]
    problems = view.problems
    unreadable = bool(problems)  # before the notes: a note decodes, an unreadable part not
    if not view.writes and not pending:
        stop = breakpoint_of(store, view)
        if stop is not None:
            pending = [
                PendingInterrupt(
                    thread_id=thread_id,
                    interrupt_id=f"breakpoint-{view.checkpoint_id}",
                    kind="breakpoint",
                    value=stop,
                    tool_calls=tool_calls,
                    created_at=created_at,
                    checkpoint_id=view.checkpoint_id,
                    task_id="",
                    node=view.next[0],
                )
            ]
    note = folded(notes)
    if note:
        problems.append(note)
    return ThreadSnapshot(
        thread_id=thread_id,
        checkpoint_id=view.checkpoint_id,
        created_at=created_at,
        messages=messages,
        next=view.next,
        pending=pending,
        problems=problems,
        write_count=len(view.writes),
        unreadable=unreadable,
    )


def _created_at(checkpoint: dict, doc: dict) -> datetime:
    ts = checkpoint.get("ts")
    if isinstance(ts, str):
        try:
            parsed = datetime.fromisoformat(ts)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    oid = doc.get("_id")
    if hasattr(oid, "generation_time"):
        return oid.generation_time
    return datetime.now(UTC)


def last_tool_calls(messages: list[Any]) -> list[dict]:
    """`{name, args, id}` of the tool calls of the last AI message."""
    for message in reversed(messages):
        if isinstance(message, AIMessage):
            return [_tool_call(call) for call in message.tool_calls] or _raw_tool_calls(message)
        if isinstance(message, ToolMessage):
            continue
        if isinstance(message, BaseMessage):
            return []
    return []


def _tool_call(call: dict) -> dict:
    return {"name": call.get("name"), "args": to_jsonable(call.get("args")), "id": call.get("id")}


def _raw_tool_calls(message: AIMessage) -> list[dict]:
    """The seed's OpenAI form in additional_kwargs, for messages that lack `.tool_calls`."""
    calls = []
    for call in message.additional_kwargs.get("tool_calls") or []:
        function = call.get("function") or {}
        try:
            args = json.loads(function.get("arguments") or "{}")
        except (TypeError, ValueError):
            args = function.get("arguments")
        calls.append({"name": function.get("name"), "args": args, "id": call.get("id")})
    return calls


ROLES = {"human": "user", "ai": "assistant", "tool": "tool", "system": "system"}


def message_as_json(message: Any) -> dict:
    """`{role, content, tool_calls}` for one message of the thread (DESIGN.md section 3)."""
    if isinstance(message, BaseMessage):
        role = ROLES.get(message.type, message.type)
        calls = [_tool_call(c) for c in getattr(message, "tool_calls", []) or []]
        if not calls and isinstance(message, AIMessage):
            calls = _raw_tool_calls(message)
        return {"role": role, "content": to_jsonable(message.content), "tool_calls": calls}
    if isinstance(message, dict):
        role = ROLES.get(str(message.get("role", message.get("type", "user"))), message.get("role"))
        return {"role": role, "content": to_jsonable(message.get("content")), "tool_calls": []}
    return {"role": "system", "content": repr(message), "tool_calls": []}


def message_text(message: Any) -> str:
    content = message_as_json(message)["content"]
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return str(content)
