"""User and tool text is data: make it safe to put in front of a terminal.

Control characters (ANSI escape sequences above all) are shown as visible escapes such
as `\\x1b`, so they can neither move the cursor nor recolour the screen. Newlines and
tabs stay. Markup is never interpreted because the front-ends render strings as plain
text; this module only deals with what a terminal itself would interpret.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object) -> str:
    """`text` with every terminal control character replaced by a visible escape."""
    return _CONTROL.sub(_escape, text if isinstance(text, str) else str(text))


def one_line(text: object, width: int = 80) -> str:
    """A visible, single-line summary of `text`, cut to `width` characters."""
    flat = " ".join(visible(text).split())
    return flat if len(flat) <= width else flat[: max(width - 1, 0)] + "…"
