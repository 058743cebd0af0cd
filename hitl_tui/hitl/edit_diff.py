"""What an edit changes, key by key, so it can be read before it is sent."""

from __future__ import annotations

from typing import Any

from hitl_tui.hitl.jsonsafe import dumps

_MISSING = object()


def edit_diff(original: Any, edited: Any) -> list[tuple[str, str]]:
    """`(sign, "key: value")` lines: "-" removed or old, "+" added or new, " " unchanged."""
    if not isinstance(original, dict) or not isinstance(edited, dict):
        if original == edited:
            return [(" ", dumps(edited))]
        return [("-", dumps(original)), ("+", dumps(edited))]
    lines: list[tuple[str, str]] = []
    for key in [*original, *(k for k in edited if k not in original)]:
        old, new = original.get(key, _MISSING), edited.get(key, _MISSING)
        if old is not _MISSING and new is not _MISSING and old == new and type(old) is type(new):
            lines.append((" ", f"{key}: {dumps(new)}"))
            continue
        if old is not _MISSING:
            lines.append(("-", f"{key}: {dumps(old)}"))
        if new is not _MISSING:
            lines.append(("+", f"{key}: {dumps(new)}"))
    return lines
