"""Static breakpoints (`interrupt_before` / `interrupt_after`) as tickets.

A checkpoint saved at a breakpoint looks exactly like one saved in the middle of a run:
LangGraph records no interrupt for it. So a breakpoint is recognised only with the graph's
code at hand: the thread's latest checkpoint has nothing written yet, and either a node
due next is one the graph stops before, or a node that just ran is one it stops after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hitl_tui.hitl import langgraph_compat as compat
from hitl_tui.hitl.langgraph_compat import ThreadView

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


def breakpoint_of(store: Any, view: ThreadView) -> dict | None:
    """`{when, next, state_keys}` when this checkpoint is a stop at a breakpoint."""
    stops = getattr(store, "breakpoints", None)
    if stops is None or not view.next:
        return None
    if any(stops.stops_before(node) for node in view.next):
        when = "before"
    elif stops.after and any(stops.stops_after(node) for node in _nodes_that_ran(store, view)):
        when = "after"
    else:
        return None
    return {"when": when, "next": list(view.next), "state_keys": compat.state_keys(view.values)}


def _nodes_that_ran(store: Any, view: ThreadView) -> set[str]:
    parent = view.document.get("parent_checkpoint_id")
    if not parent:
        return set()
    return compat.pulled_nodes(
        compat.writes_of(store.writes, view.thread_id, parent, {"task_path": 1})
    )
