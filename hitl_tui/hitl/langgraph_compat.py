"""The one module that knows how LangGraph and MongoDBSaver store a thread.

Public names first: control channels come from `langgraph.checkpoint.serde.types`, and
every value is decoded with the saver's own serializer (`serde.loads_typed`, exactly as
`MongoDBSaver.get_tuple` does). The documents are read here rather than through
`saver.get_tuple` for two reasons: `get_tuple` fails as a whole when one write cannot be
decoded (one foreign thread must never break the inbox), and it drops each write's
`task_path`, the only record of which node a task belongs to.

What has no public API is isolated below with the upstream source it mirrors, so an
upgrade that changes a format fails `tests/test_langgraph_compat.py` by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from langgraph.checkpoint.serde.types import ERROR, INTERRUPT, RESUME, SCHEDULED, TASKS

# MongoDBSaver's default collection names (langgraph/checkpoint/mongodb/saver.py).
CHECKPOINTS = "checkpoints"
WRITES = "checkpoint_writes"
ROOT_NS = ""  # checkpoint_ns of the root graph; subgraph interrupts bubble up to it

CONTROL_CHANNELS = frozenset({INTERRUPT, RESUME, ERROR, SCHEDULED})

# -- formats without a public name -------------------------------------------------------
# A node due next keeps a value in its trigger channel `branch:to:NODE`
# (langgraph/graph/state.py, `_CHANNEL_BRANCH_TO = "branch:to:{}"`).
BRANCH_TO = "branch:to:"
# Channels that are graph plumbing, not state keys (langgraph/graph/state.py `branch:`,
# `start:`, `join:` channels; `__…__` reserved names in langgraph/_internal/_constants.py).
PLUMBING_PREFIXES = ("branch:", "__", "start:", "join:")
# A task's path: `(PULL, NODE)` for a node triggered by its channels, `(PUSH, INDEX, …)`
# for a `Send`, INDEX being its place in the checkpoint's TASKS channel; MongoDBSaver
# writes it as `~PULL, NODE` (langgraph/_internal/_constants.py PULL/PUSH,
# langgraph/pregel/_algo.py `task_path_str`), and MongoDBSaver keeps it as `task_path`.
PULL = "__pregel_pull"
PUSH = "__pregel_push"
UNKNOWN_NODE = "?"


@dataclass
class RawInterrupt:
    """One interrupt as LangGraph wrote it: the value, its id, and where it was raised."""

    interrupt_id: str
    value: Any
    task_id: str
    node: str
    response_schema: Any = None


@dataclass
class ThreadView:
    """A thread's checkpoint as LangGraph left it, decoded without the graph's code."""

    thread_id: str
    checkpoint_id: str
    document: dict
    checkpoint: dict
    values: dict
    writes: list[dict]
    interrupts: list[RawInterrupt]
    next: list[str]
    problems: list[str] = field(default_factory=list)

    @property
    def messages(self) -> list[Any]:
        return messages_of(self.values)


Decoder = Callable[[dict, str], Any]


def decoder(serde: Any, problems: list[str]) -> Decoder:
    """Decode one field of a document with the saver's serializer; a foreign or corrupted
    document becomes a problem of the thread, never an exception."""

    def decode(doc: dict, field_name: str) -> Any:
        try:
            return serde.loads_typed((doc["type"], doc[field_name]))
        except Exception as error:  # any foreign or corrupted document
            problems.append(f"undecodable {field_name}: {type(error).__name__}")
            return None

    return decode


def checkpoint_document(
    checkpoints: Any, thread_id: str, checkpoint_id: str | None = None
) -> dict | None:
    """The thread's latest root checkpoint document (or the one named)."""
    query: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ROOT_NS}
    if checkpoint_id is not None:
        query["checkpoint_id"] = checkpoint_id
    return checkpoints.find_one(query, sort=[("checkpoint_id", -1)])


def latest_checkpoint_id(checkpoints: Any, thread_id: str) -> str | None:
    doc = checkpoints.find_one(
        {"thread_id": thread_id, "checkpoint_ns": ROOT_NS},
        projection={"checkpoint_id": 1},
        sort=[("checkpoint_id", -1)],
    )
    return doc["checkpoint_id"] if doc else None


def writes_of(writes: Any, thread_id: str, checkpoint_id: str, fields: Any = None) -> list[dict]:
    """The pending writes attached to one root checkpoint, as stored."""
    query = {"thread_id": thread_id, "checkpoint_ns": ROOT_NS, "checkpoint_id": checkpoint_id}
    return list(writes.find(query, fields))


def read_thread(
    checkpoints: Any,
    writes: Any,
    serde: Any,
    thread_id: str,
    checkpoint_id: str | None = None,
) -> ThreadView | None:
    """The thread's latest root checkpoint (or `checkpoint_id`) and its writes, decoded."""
    doc = checkpoint_document(checkpoints, thread_id, checkpoint_id)
    return None if doc is None else view_of(doc, writes, serde, thread_id)


def view_of(
    doc: dict, writes: Any, serde: Any, thread_id: str, found: list[dict] | None = None
) -> ThreadView:
    """A root checkpoint document of the thread, decoded with the writes attached to it
    (`found`, when the caller has read them already)."""
    problems: list[str] = []
    decode = decoder(serde, problems)
    cid = str(doc.get("checkpoint_id", ""))
    checkpoint = decode(doc, "checkpoint") or {}
    if not isinstance(checkpoint, dict):
        problems.append("checkpoint is not a mapping")
        checkpoint = {}
    values = checkpoint.get("channel_values")
    values = values if isinstance(values, dict) else {}
    if found is None:
        found = writes_of(writes, thread_id, cid)
    interrupts = pending_interrupts(found, decode, values.get(TASKS))
    return ThreadView(
        thread_id=thread_id,
        checkpoint_id=cid,
        document=doc,
        checkpoint=checkpoint,
        values=values,
        writes=found,
        interrupts=interrupts,
        next=next_nodes(values, interrupts, found),
        problems=problems,
    )


def has_waiting_interrupt(writes: Iterable[dict]) -> bool:
    """Whether these writes hold an interrupt of a task that has not finished (read from
    `task_id` and `channel` alone, without decoding anything)."""
    writes = list(writes)
    completed = {w.get("task_id") for w in writes if w.get("channel") not in CONTROL_CHANNELS}
    return any(w.get("channel") == INTERRUPT and w.get("task_id") not in completed for w in writes)


def pending_interrupts(
    writes: list[dict], decode: Decoder, sends: Any = None
) -> list[RawInterrupt]:
    """Interrupts of tasks that have not finished, one per interrupt id.

    The same interrupt is written by every task it bubbles through (a functional-API task
    and its entrypoint): one entry per id, from the task that names its node (the one
    `get_state().tasks` lists).
    """
    completed = {w.get("task_id") for w in writes if w.get("channel") not in CONTROL_CHANNELS}
    seen: dict[str, RawInterrupt] = {}
    for write in sorted(writes, key=lambda w: (str(w.get("task_id")), w.get("idx", 0))):
        if write.get("channel") != INTERRUPT or write.get("task_id") in completed:
            continue
        interrupts = decode(write, "value")
        if interrupts is None:
            continue
        if not isinstance(interrupts, list | tuple):
            interrupts = [interrupts]
        node = node_of(write.get("task_path"), sends)
        for interrupt in interrupts:
            interrupt_id = str(getattr(interrupt, "id", "") or write.get("task_id", ""))
            earlier = seen.get(interrupt_id)
            if earlier is not None:
                if earlier.node == UNKNOWN_NODE and node != UNKNOWN_NODE:
                    earlier.node, earlier.task_id = node, str(write.get("task_id", ""))
                continue
            seen[interrupt_id] = RawInterrupt(
                interrupt_id=interrupt_id,
                value=getattr(interrupt, "value", interrupt),
                task_id=str(write.get("task_id", "")),
                node=node,
                response_schema=getattr(interrupt, "response_schema", None),
            )
    return list(seen.values())


def node_of(task_path: object, sends: Any = None) -> str:
    """The node a task runs: named in a pull task's path, looked up in the checkpoint's
    pending sends for a `Send` task; "?" when neither tells."""
    if not isinstance(task_path, str):
        return UNKNOWN_NODE
    parts = [part.strip() for part in task_path.split(",")]
    if parts[0].lstrip("~") == PULL and len(parts) >= 2:
        return parts[1] or UNKNOWN_NODE
    if parts[0].lstrip("~") == PUSH and len(parts) >= 2 and parts[1].isdigit():
        index = int(parts[1])
        if isinstance(sends, list) and index < len(sends):
            node = getattr(sends[index], "node", None)
            if isinstance(node, str):
                return node
    return UNKNOWN_NODE


def pulled_nodes(writes: Iterable[dict]) -> set[str]:
    """The nodes whose tasks wrote these writes (pull tasks only)."""
    ran = set()
    for write in writes:
        path = write.get("task_path")
        if isinstance(path, str) and path.split(",")[0].strip().lstrip("~") == PULL:
            ran.add(node_of(path))
    ran.discard(UNKNOWN_NODE)
    return ran


def next_nodes(
    values: dict, interrupts: Iterable[RawInterrupt] = (), writes: Iterable[dict] = ()
) -> list[str]:
    """Nodes due to run next: those whose trigger channel still holds a value, unless their
    task already finished in this step (a parallel branch answered before its sibling),
    and those whose interrupted task waits."""
    done = pulled_nodes(w for w in writes if w.get("channel") not in CONTROL_CHANNELS)
    nodes = [
        channel.removeprefix(BRANCH_TO)
        for channel in values
        if isinstance(channel, str) and channel.startswith(BRANCH_TO)
        and channel.removeprefix(BRANCH_TO) not in done
    ]
    for interrupt in interrupts:
        if interrupt.node not in nodes and interrupt.node != UNKNOWN_NODE:
            nodes.append(interrupt.node)
    return nodes


def state_keys(values: dict) -> list[str]:
    """The state's own keys, without LangGraph's plumbing channels."""
    return sorted(
        key for key in values if isinstance(key, str) and not key.startswith(PLUMBING_PREFIXES)
    )


def messages_of(values: dict) -> list[Any]:
    """The `messages` channel as a list. A beta `DeltaChannel` keeps only a periodic
    snapshot there (langgraph/channels/delta.py, `_DeltaSnapshot` in
    langgraph/checkpoint/serde/types.py); between snapshots the key is absent and the
    messages can be rebuilt only with the graph (`graph.get_state`)."""
    messages = values.get("messages")
    snapshot_value = getattr(messages, "value", None) if isinstance(messages, tuple) else None
    if isinstance(snapshot_value, list):
        return list(snapshot_value)
    return list(messages) if isinstance(messages, list) else []


def thread_config(thread_id: str) -> dict:
    return {"configurable": {"thread_id": thread_id}}


def graph_view(graph: Any, thread_id: str) -> dict:
    """What the graph itself says about the thread (`graph.get_state`), in the terms of
    `ThreadView`: the reference the stored view is checked against."""
    state = graph.get_state(thread_config(thread_id))
    return {
        "next": sorted(set(state.next)),  # one per node, as `show` lists them
        "interrupts": sorted(i.id for i in state.interrupts),
        "tasks": sorted((t.id, t.name) for t in state.tasks if t.interrupts),
    }
