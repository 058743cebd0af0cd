"""Graphs served by a real `langgraph dev` in the tests: an approval whose action leaves a
line in a file (so a double run is visible), and two interrupts raised in parallel.

The effects file is named by HITL_TEST_EFFECTS in the server's environment; an action on a
"slow-*" database waits for a file beside it, so a test can lose the client mid-run.
"""

from __future__ import annotations

import operator
import os
import time
from pathlib import Path
from typing import Annotated

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from typing_extensions import TypedDict


class Ops(TypedDict, total=False):
    target: str
    outcome: str


def _ask(state: Ops) -> dict:
    answer = interrupt(
        {
            "action": f"Drop the database {state.get('target', 'prod')}?",
            "tool": "drop_database",
            "args": {"db_name": state.get("target", "prod")},
        }
    )
    if answer.get("data") != "approved":
        return {"outcome": f"rejected: {answer.get('reason') or 'no reason'}"}
    name = (answer.get("args") or {}).get("db_name", state.get("target", "prod"))
    _wait_for_go(name)
    with open(os.environ["HITL_TEST_EFFECTS"], "a", encoding="utf-8") as effects:
        effects.write(f"dropped {name}\n")
    return {"outcome": f"dropped {name}"}


def _wait_for_go(name: str) -> None:
    """A slow action: "slow-*" targets wait (at most 20 s) for a file named after them."""
    if name.startswith("slow-"):
        go = Path(os.environ["HITL_TEST_EFFECTS"]).with_name(f"{name}.go")
        deadline = time.monotonic() + 20
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.05)


def _explode(state: Ops) -> dict:
    if state.get("target") == "explode":
        raise RuntimeError("the database refused")
    return {}


approval_builder = StateGraph(Ops)
approval_builder.add_node("confirm", _ask)
approval_builder.add_node("after", _explode)
approval_builder.add_edge(START, "confirm")
approval_builder.add_edge("confirm", "after")
approval_builder.add_edge("after", END)
approval = approval_builder.compile()


class Log(TypedDict, total=False):
    log: Annotated[list, operator.add]


def _branch(name: str):
    def ask(state: Log) -> dict:
        return {"log": [f"{name}: {interrupt({'query': f'Approve branch {name}?'})['data']}"]}

    return ask


parallel_builder = StateGraph(Log)
parallel_builder.add_node("branch_a", _branch("a"))
parallel_builder.add_node("branch_b", _branch("b"))
parallel_builder.add_edge(START, "branch_a")
parallel_builder.add_edge(START, "branch_b")
parallel_builder.add_edge("branch_a", END)
parallel_builder.add_edge("branch_b", END)
parallel = parallel_builder.compile()
