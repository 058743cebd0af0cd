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

from hitl_tui.hitl.breakpoints import breakpoint_of
from hitl_tui.hitl.decoding import collecting_notes, folded
from hitl_tui.hitl.jsonsafe import to_jsonable
from hitl_tui.hitl.kinds import kind_of
from hitl_tui.hitl.latest import latest_checkpoint
from hitl_tui.hitl.store import Store

INTERRUPT = "__interrupt__"
RESUME = "__resume__"
ERROR = "__error__"
NULL_TASK_ID = "00000000-0000-0000-0000-000000000000"
_CONTROL_CHANNELS = {INTERRUPT, RESUME, ERROR, "__scheduled__"}


@dataclass
class PendingInterrupt:
    """One interrupt waiting for a human, decoded and ready to show."""

    thread_id: str
    interrupt_id: str
    kind: str
    value: Any
    tool_calls: list[dict]
    created_at: datetime
    checkpoint_id: str
    task_id: str
    node: str
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    claim_state: str | None = None
    # The JSON schema the graph checks the answer against (`interrupt(response_schema=…)`).
    response_schema: Any = None
    due_at: datetime | None = None  # set by hitl.sla.stamp where HITL_SLA gives a deadline
    interrupted_attempt: dict | None = None

    def age_seconds(self, now: datetime | None = None) -> float:
        return max(0.0, ((now or datetime.now(UTC)) - self.created_at).total_seconds())

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
    completed = {w.get("task_id") for w in writes if w.get("channel") not in _CONTROL_CHANNELS}
    return any(w.get("channel") == INTERRUPT and w.get("task_id") not in completed for w in writes)


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


def snapshot_of(store: Store, thread_id: str, doc: dict) -> ThreadSnapshot:
    """A checkpoint document of the thread, decoded with the writes attached to it."""
    cid = str(doc.get("checkpoint_id", ""))
    problems: list[str] = []
    with collecting_notes() as notes:
        checkpoint = _decode(store, doc, "checkpoint", problems) or {}
        if not isinstance(checkpoint, dict):
            problems.append("checkpoint is not a mapping")
            checkpoint = {}
        writes = list(
            store.writes.find({"thread_id": thread_id, "checkpoint_ns": "", "checkpoint_id": cid})
        )
        channel_values = checkpoint.get("channel_values") or {}
        messages = channel_values.get("messages") if isinstance(channel_values, dict) else None
        messages = list(messages) if isinstance(messages, list) else []
        created_at = _created_at(checkpoint, doc)
        sends = channel_values.get("__pregel_tasks") if isinstance(channel_values, dict) else None
        pending = _pending(store, thread_id, cid, created_at, writes, messages, problems)
        _name_pushed_nodes(pending, writes, sends)
    nodes = _next_nodes(checkpoint, pending)
    if not writes and not pending:
        stop = breakpoint_of(store, doc, checkpoint, nodes)
        if stop is not None:
            pending = [
                PendingInterrupt(
                    thread_id=thread_id,
                    interrupt_id=f"breakpoint-{cid}",
                    kind="breakpoint",
                    value=stop,
                    tool_calls=last_tool_calls(messages),
                    created_at=created_at,
                    checkpoint_id=cid,
                    task_id="",
                    node=nodes[0],
                )
            ]
    note = folded(notes)
    if note:
        problems.append(note)
    return ThreadSnapshot(
        thread_id=thread_id,
        checkpoint_id=cid,
        created_at=created_at,
        messages=messages,
        next=nodes,
        pending=pending,
        problems=problems,
        write_count=len(writes),
    )


def _decode(store: Store, doc: dict, field_name: str, problems: list[str]) -> Any:
    try:
        return store.serde.loads_typed((doc["type"], doc[field_name]))
    except Exception as error:  # any foreign or corrupted document
        problems.append(f"undecodable {field_name}: {type(error).__name__}")
        return None


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


def _node_of(task_path: object) -> str:
    """The node of a pull task (`~__pregel_pull, NODE`); "?" for pushed tasks (Send)."""
    if isinstance(task_path, str) and task_path.startswith("~__pregel_pull,"):
        return task_path.split(",", 1)[1].strip() or "?"
    return "?"


def _name_pushed_nodes(pending: list[PendingInterrupt], writes: list[dict], sends: Any) -> None:
    """A `Send` task's path holds its index in the checkpoint's pending sends: name its node."""
    if not isinstance(sends, list):
        return
    paths = {str(w.get("task_id", "")): w.get("task_path") for w in writes}
    for item in pending:
        path = paths.get(item.task_id)
        if item.node != "?" or not isinstance(path, str):
            continue
        parts = [p.strip() for p in path.split(",")]
        if len(parts) >= 2 and parts[0] == "~__pregel_push" and parts[1].isdigit():
            index = int(parts[1])
            node = getattr(sends[index], "node", None) if index < len(sends) else None
            if isinstance(node, str):
                item.node = node


def _pending(
    store: Store,
    thread_id: str,
    checkpoint_id: str,
    created_at: datetime,
    writes: list[dict],
    messages: list[Any],
    problems: list[str],
) -> list[PendingInterrupt]:
    completed_tasks = {
        w.get("task_id") for w in writes if w.get("channel") not in _CONTROL_CHANNELS
    }
    tool_calls = last_tool_calls(messages)
    pending: list[PendingInterrupt] = []
    seen: dict[str, PendingInterrupt] = {}
    # The same interrupt is written by every task it bubbles through (a functional-API
    # task and its entrypoint): one ticket per id, named after the node that knows most.
    for write in sorted(writes, key=lambda w: (str(w.get("task_id")), w.get("idx", 0))):
        if write.get("channel") != INTERRUPT or write.get("task_id") in completed_tasks:
            continue
        interrupts = _decode(store, write, "value", problems)
        if interrupts is None:
            continue
        if not isinstance(interrupts, list | tuple):
            interrupts = [interrupts]
        for interrupt in interrupts:
            value = getattr(interrupt, "value", interrupt)
            interrupt_id = str(getattr(interrupt, "id", "") or write.get("task_id", ""))
            node = _node_of(write.get("task_path"))
            earlier = seen.get(interrupt_id)
            if earlier is not None:
                if earlier.node == "?" and node != "?":
                    earlier.node = node
                continue
            item = PendingInterrupt(
                thread_id=thread_id,
                interrupt_id=interrupt_id,
                kind=kind_of(value).name,
                value=value,
                tool_calls=tool_calls,
                created_at=created_at,
                checkpoint_id=checkpoint_id,
                task_id=str(write.get("task_id", "")),
                node=node,
                response_schema=getattr(interrupt, "response_schema", None),
            )
            seen[interrupt_id] = item
            pending.append(item)
    return pending


def _next_nodes(checkpoint: dict, pending: list[PendingInterrupt]) -> list[str]:
    """Nodes due to run next: those whose `branch:to:NODE` trigger still holds a value."""
    values = checkpoint.get("channel_values")
    nodes: list[str] = []
    if isinstance(values, dict):
        for channel in values:
            if isinstance(channel, str) and channel.startswith("branch:to:"):
                nodes.append(channel.removeprefix("branch:to:"))
    for item in pending:
        if item.node not in nodes and item.node != "?":
            nodes.append(item.node)
    return nodes


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
