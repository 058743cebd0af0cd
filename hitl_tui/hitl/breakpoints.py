"""Static breakpoints (`interrupt_before` / `interrupt_after`) as tickets.

A checkpoint saved at a breakpoint looks exactly like one saved in the middle of a run:
LangGraph records no interrupt for it. So a breakpoint is recognised only with the graph's
code at hand: the thread's latest checkpoint has nothing written yet, and either a node
due next is one the graph stops before, or a node that just ran is one it stops after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ALL = "*"


@dataclass(frozen=True)
class Breakpoints:
    before: frozenset[str] | str
    after: frozenset[str] | str

    def stops_before(self, node: str) -> bool:
        return self.before == ALL or node in self.before

    def stops_after(self, node: str) -> bool:
        return self.after == ALL or node in self.after


def breakpoints_of(graph: Any) -> Breakpoints | None:
    """The graph's compiled-in breakpoints, or None when it has none."""

    def names(value: Any) -> frozenset[str] | str:
        return ALL if value == ALL else frozenset(str(n) for n in value or ())

    before = names(getattr(graph, "interrupt_before_nodes", None))
    after = names(getattr(graph, "interrupt_after_nodes", None))
    return Breakpoints(before, after) if before or after else None


def breakpoint_of(store: Any, doc: dict, checkpoint: dict, next_nodes: list[str]) -> dict | None:
    """`{when, next, state_keys}` when this checkpoint is a stop at a breakpoint."""
    stops = getattr(store, "breakpoints", None)
    if stops is None or not next_nodes:
        return None
    if any(stops.stops_before(node) for node in next_nodes):
        when = "before"
    elif stops.after and any(stops.stops_after(node) for node in _nodes_that_ran(store, doc)):
        when = "after"
    else:
        return None
    values = checkpoint.get("channel_values")
    keys = sorted(
        key
        for key in (values if isinstance(values, dict) else {})
        if isinstance(key, str) and not key.startswith(("branch:", "__", "start:", "join:"))
    )
    return {"when": when, "next": list(next_nodes), "state_keys": keys}


def _nodes_that_ran(store: Any, doc: dict) -> set[str]:
    parent = doc.get("parent_checkpoint_id")
    if not parent:
        return set()
    ran = set()
    for write in store.writes.find(
        {"thread_id": doc.get("thread_id"), "checkpoint_ns": "", "checkpoint_id": parent},
        {"task_path": 1},
    ):
        path = write.get("task_path")
        if isinstance(path, str) and path.startswith("~__pregel_pull,"):
            ran.add(path.split(",", 1)[1].strip())
    return ran
