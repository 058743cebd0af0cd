"""The argument schemas of the tools a loaded graph really has, by tool name.

An edit is checked against the tool the graph will call, not against a tool of the same
name somewhere else: the schemas are read from the graph's own ToolNodes (which hold the
middleware's tools too), in the graph and its subgraphs.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def tool_arg_schemas(graph: Any) -> dict[str, dict]:
    """`{tool name: JSON schema of its arguments}` for every tool node of `graph`."""
    schemas: dict[str, dict] = {}
    for compiled in _graphs(graph):
        for node in (getattr(compiled, "nodes", None) or {}).values():
            tools = getattr(getattr(node, "bound", None), "tools_by_name", None)
            if not isinstance(tools, dict):
                continue
            for name, tool in tools.items():
                schema = _schema_of(tool)
                if schema is not None:
                    schemas.setdefault(str(name), schema)
    return schemas


def _graphs(graph: Any) -> list[Any]:
    found = [graph]
    try:
        found.extend(sub for _, sub in graph.get_subgraphs(recurse=True))
    except Exception:  # a graph without subgraph support still has its own nodes
        pass
    return found


def _schema_of(tool: Any) -> dict | None:
    try:
        schema = tool.tool_call_schema
    except Exception:
        return None
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return schema.model_json_schema()
    return schema if isinstance(schema, dict) else None
