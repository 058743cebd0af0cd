"""Load another program's graph from `MODULE_OR_FILE:ATTR` (like langgraph.json's graphs)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.graph import StateGraph
from langgraph.pregel import Pregel

from hitl_tui.errors import UsageError


def load_graph(spec: str, checkpointer: Any) -> Pregel:
    """Compile or re-bind the graph named by `spec` to our checkpointer."""
    target, sep, attr = spec.rpartition(":")
    if not sep or not target or not attr:
        raise UsageError(f"--graph must look like MODULE_OR_FILE:ATTR, got {spec!r}")
    module = _import(target)
    try:
        obj = getattr(module, attr)
    except AttributeError:
        raise UsageError(f"--graph: {target} has no attribute {attr!r}") from None
    return _as_compiled(obj, checkpointer, spec)


def _import(target: str) -> Any:
    try:
        if target.endswith(".py") or "/" in target or Path(target).suffix == ".py":
            path = Path(target).expanduser().resolve()
            if not path.is_file():
                raise UsageError(f"--graph: no such file {target}")
            name = f"hitl_user_graph_{abs(hash(str(path)))}"
            if name in sys.modules:  # checked once already (the console does, before start)
                return sys.modules[name]
            module_spec = importlib.util.spec_from_file_location(name, path)
            if module_spec is None or module_spec.loader is None:
                raise UsageError(f"--graph: cannot import {target}")
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            sys.path.insert(0, str(path.parent))
            try:
                module_spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]  # a failed import is tried again, not half-kept
                raise
            return module
        return importlib.import_module(target)
    except UsageError:
        raise
    except Exception as error:  # the user's code may raise anything while importing
        raise UsageError(
            f"--graph: importing {target} failed: {type(error).__name__}: {error}"
        ) from None


def _keep_own_settings(brought: Any, ours: Any) -> None:
    """A graph compiled with its own checkpointer keeps what that saver was set up with:
    its serializer (it may encrypt or encode state its own way; a plain default one is not
    taken, so decoding stays strict) and its time-to-live for checkpoints."""
    if not isinstance(brought, BaseCheckpointSaver):
        return
    serde = getattr(brought, "serde", None)
    if serde is not None and type(serde) is not JsonPlusSerializer:
        ours.serde = serde
    ttl = getattr(brought, "ttl", None)
    if ttl is not None and hasattr(ours, "ttl"):
        ours.ttl = ttl


def _as_compiled(obj: Any, checkpointer: Any, spec: str, depth: int = 0) -> Pregel:
    if isinstance(obj, StateGraph):
        return obj.compile(checkpointer=checkpointer)
    if isinstance(obj, Pregel):
        _keep_own_settings(obj.checkpointer, checkpointer)
        return obj.copy(update={"checkpointer": checkpointer})
    if callable(obj) and depth == 0:
        try:
            produced = obj()
        except TypeError as error:
            raise UsageError(f"--graph: {spec} is not a zero-argument factory: {error}") from None
        except Exception as error:
            raise UsageError(f"--graph: {spec}() failed: {type(error).__name__}: {error}") from None
        return _as_compiled(produced, checkpointer, spec, depth + 1)
    raise UsageError(
        f"--graph: {spec} is a {type(obj).__name__}, not a StateGraph, compiled graph or factory"
    )
