"""Run a graph to its next stop, synchronously or on an event loop when it needs one.

A graph whose nodes (or tools) are coroutines only cannot run with `stream`; LangGraph
raises "No synchronous function provided". Such a graph runs with `astream` on a fresh
event loop instead, from the calling thread, so both front-ends call one function.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


def run_graph(
    graph: Any, graph_input: Any, config: dict, on_update: Callable[[Any], None] | None = None
) -> None:
    """Stream `graph_input` through `graph` with `stream_mode="updates"`."""
    if needs_event_loop(graph):
        asyncio.run(_run_async(graph, graph_input, config, on_update))
        return
    for update in graph.stream(graph_input, config, stream_mode="updates"):
        if on_update is not None:
            on_update(update)


async def _run_async(
    graph: Any, graph_input: Any, config: dict, on_update: Callable[[Any], None] | None
) -> None:
    async for update in graph.astream(graph_input, config, stream_mode="updates"):
        if on_update is not None:
            on_update(update)


def update_state(graph: Any, config: dict, values: Any) -> None:
    if needs_event_loop(graph):
        asyncio.run(graph.aupdate_state(config, values))
    else:
        graph.update_state(config, values)


def needs_event_loop(graph: Any) -> bool:
    """Whether any node of the graph or its subgraphs, or any tool, is async-only."""
    cached = getattr(graph, "_hitl_needs_loop", None)
    if cached is not None:
        return cached
    found = any(_async_only(node) for g in _graphs(graph) for node in _runnables(g))
    try:
        graph._hitl_needs_loop = found
    except AttributeError:
        pass
    return found


def _graphs(graph: Any) -> list[Any]:
    found = [graph]
    try:
        found.extend(sub for _, sub in graph.get_subgraphs(recurse=True))
    except Exception:
        pass
    return found


def _runnables(graph: Any) -> list[Any]:
    found = []
    for node in (getattr(graph, "nodes", None) or {}).values():
        bound = getattr(node, "bound", None)
        found.append(bound)
        tools = getattr(bound, "tools_by_name", None)
        if isinstance(tools, dict):
            found.extend(tools.values())
    return found


def _async_only(runnable: Any) -> bool:
    if runnable is None:
        return False
    if hasattr(runnable, "coroutine") and hasattr(runnable, "func"):  # a StructuredTool
        return runnable.func is None and runnable.coroutine is not None
    if hasattr(runnable, "afunc") and hasattr(runnable, "func"):  # a RunnableCallable
        return runnable.func is None and runnable.afunc is not None
    return False
