"""What the core needs from the composition root (`hitl_tui.runtime`), and nothing more:
the core never builds a client, a saver or a graph itself, so it imports no agent code."""

from __future__ import annotations

from typing import Any, Protocol

from hitl_tui.hitl.store import Store
from hitl_tui.settings import Settings


class Runtime(Protocol):
    """One connection, the store, and the graph (compiled on first use)."""

    settings: Settings
    store: Store
    graph_spec: str | None

    @property
    def graph(self) -> Any: ...

    @property
    def tool_schemas(self) -> dict[str, dict]: ...

    @property
    def uses_builtin_graph(self) -> bool: ...

    @property
    def model_label(self) -> str: ...

    @property
    def database_label(self) -> str: ...

    def index_hint(self) -> str | None: ...

    def close(self) -> None: ...
