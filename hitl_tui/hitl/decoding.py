"""The serializer checkpoints are decoded with, and what it had to say while decoding.

A checkpoint document can name any class; LangGraph's default serializer would import and
construct it. Ours is strict: only LangGraph's own safe types, plus the types the loaded
graph's state declares, are rebuilt; anything else stays plain data and is reported once
per snapshot as a problem, never printed on stderr.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Any

import ormsgpack
from langgraph.checkpoint.serde import jsonplus
from langgraph.checkpoint.serde.event_hooks import register_serde_event_listener
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

AES_KEY_ENV = "LANGGRAPH_AES_KEY"
_notes: ContextVar[list[str] | None] = ContextVar("hitl_serde_notes", default=None)


def _on_event(event: Any) -> None:
    notes = _notes.get()
    if notes is not None and isinstance(event, dict) and event.get("kind") != "":
        what = f"{event.get('module')}.{event.get('name')}"
        if "blocked" in str(event.get("kind")):
            notes.append(f"kept {what} as plain data (not an allowed type)")


class _Quiet(logging.Filter):
    """Serializer warnings become problems of the snapshot, not lines on stderr."""

    def filter(self, record: logging.LogRecord) -> bool:
        notes = _notes.get()
        if notes is not None and "Blocked deserialization" not in record.getMessage():
            notes.append(record.getMessage().splitlines()[0])
        return False


register_serde_event_listener(_on_event)
for _name in ("langgraph.checkpoint.serde.jsonplus", "langgraph.checkpoint.serde.event_hooks"):
    logging.getLogger(_name).addFilter(_Quiet())


@contextmanager
def collecting_notes() -> Iterator[list[str]]:
    """Collect what the serializer reports while the block decodes."""
    notes: list[str] = []
    token = _notes.set(notes)
    try:
        yield notes
    finally:
        _notes.reset(token)


def folded(notes: list[str]) -> str | None:
    """All of a snapshot's serializer notes as one problem line."""
    unique = list(dict.fromkeys(notes))
    if not unique:
        return None
    more = f" (and {len(unique) - 3} more)" if len(unique) > 3 else ""
    return "decoding: " + "; ".join(unique[:3]) + more


def restricted_serde(allowlist: Iterable[tuple[str, ...]] = ()) -> Any:
    """A strict JsonPlusSerializer, encrypted when LANGGRAPH_AES_KEY is set."""
    serde: Any = JsonPlusSerializer(allowed_msgpack_modules=None)
    extra = tuple(allowlist)
    if extra:
        serde = serde.with_msgpack_allowlist(extra)
    return encrypted_if_configured(serde)


# An extension value naming a class of `langgraph.types`: msgpack of (module, name, args),
# a fixarray then the module as a fixstr.
_LANGGRAPH_TYPES = b"\xaf" + b"langgraph.types"
# Read as plain records: their fields by name (`Send` is stored as its positional args).
_RECORDS = {"Interrupt": None, "Command": None, "Send": ("node", "arg", "timeout")}


def reading_serde() -> Any:
    """The strict serializer's twin for reading a thread without its graph: LangGraph's
    interrupts, commands and sends come back as plain records with the same fields.

    Building the real classes imports `langgraph.types`, which loads LangSmith and most
    of langchain_core's runnables: several times what a `pending` process needs."""
    strict_hook = jsonplus._create_msgpack_ext_hook(None)

    def hook(code: int, data: bytes) -> Any:
        if data[1:17] == _LANGGRAPH_TYPES and code in (
            jsonplus.EXT_CONSTRUCTOR_POS_ARGS,
            jsonplus.EXT_CONSTRUCTOR_KW_ARGS,
        ):
            record = _record(data, hook)
            if record is not None:
                return record
        return strict_hook(code, data)

    serde = JsonPlusSerializer(allowed_msgpack_modules=None, **{"__unpack_ext_hook__": hook})
    return encrypted_if_configured(serde)


def _record(data: bytes, hook: Any) -> SimpleNamespace | None:
    """A `langgraph.types` value as a record of its fields; None when it is not one we
    read this way (the strict serializer then decides)."""
    try:
        module, name, args = ormsgpack.unpackb(
            data, ext_hook=hook, option=ormsgpack.OPT_NON_STR_KEYS
        )[:3]
    except (ValueError, TypeError):
        return None
    if module != "langgraph.types" or name not in _RECORDS:
        return None
    fields = _RECORDS[name]
    if fields is not None and isinstance(args, list | tuple):
        args = dict(zip(fields, args, strict=False))
    if not isinstance(args, dict) or not all(isinstance(key, str) for key in args):
        return None
    return SimpleNamespace(**args)


def encrypted_if_configured(serde: Any) -> Any:
    if not os.environ.get(AES_KEY_ENV):
        return serde
    from langgraph.checkpoint.serde.encrypted import EncryptedSerializer

    from hitl_tui.errors import UsageError

    try:
        return EncryptedSerializer.from_pycryptodome_aes(serde)
    except (ValueError, ImportError) as error:
        raise UsageError(f"{AES_KEY_ENV}: {error}") from None


def graph_serde(graph: Any, saver: Any) -> Any:
    """What decodes the loaded graph's checkpoints: the saver's serializer (the graph's
    own when it brought a checkpointer), widened by the types its state declares."""
    allowlist = getattr(graph, "_serde_allowlist", None) or ()
    try:
        return saver.with_allowlist(allowlist).serde if allowlist else saver.serde
    except Exception:  # a serializer without allow-lists decodes as it is
        return saver.serde
