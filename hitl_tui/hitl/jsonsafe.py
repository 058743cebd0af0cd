"""Turn decoded state (messages, pydantic models, dataclasses, bytes…) into plain JSON."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from hitl_tui.errors import UsageError
from hitl_tui.hitl.safe_text import json_escaped


def to_jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-compatible copy of `value`; unknown objects become their repr."""
    if depth > 50:
        return "…"
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return (
            value if value == value and value not in (float("inf"), float("-inf")) else str(value)
        )
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v, depth + 1) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)  # a Decimal keeps its exact digits, as a number string
    if isinstance(value, Enum):
        return to_jsonable(value.value, depth + 1)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if hasattr(value, "model_dump"):
        try:
            return to_jsonable(value.model_dump(), depth + 1)
        except Exception:
            return repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value), depth + 1)
    return repr(value)


def dumps(value: Any, *, indent: int | None = None) -> str:
    """JSON text that is safe to print: C1, bidi and zero-width are escaped too, not only C0."""
    return json_escaped(json.dumps(to_jsonable(value), ensure_ascii=False, indent=indent))


def check_finite(value: Any, depth: int = 0) -> None:
    """Refuse NaN and Infinity anywhere in an operator's value: JSON has no such numbers,
    and a graph handed a float nan acts on garbage."""
    if depth > 200:
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise UsageError(f"{value!r} is not a JSON number; NaN and Infinity are refused")
    if isinstance(value, Mapping):
        for item in value.values():
            check_finite(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            check_finite(item, depth + 1)
