"""User, tool, graph and database text is data: the one place that makes it safe to show.

Every surface (toast, title, table cell, JSON view, log line, CLI output) passes text
through `visible`, or through `json_escaped` for JSON. What a terminal would act on is
shown instead of obeyed:

- control characters (C0 but newline and tab, DEL, C1) as `\\x1b`-style escapes, so an
  escape sequence (CSI, OSC 0/8/52, DCS…) loses its ESC and prints as harmless text;
- bidi controls, zero-width and other invisible characters as `\\u202e`-style escapes,
  so text cannot be reordered or hide a second meaning.

Markup is never interpreted: the front-ends build Rich/Textual `Text` from these strings
and the CLI prints with markup off.
"""

from __future__ import annotations

import re

# Characters that change what a reader sees without being seen themselves.
_INVISIBLE = (
    "\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"  # ALM, zero-width, bidi, separators
    "\u115f\u1160\u3164\uffa0\u034f"  # Hangul fillers, combining grapheme joiner
    "\ufeff\ufff9-\ufffb"  # BOM / zero-width no-break space, interlinear annotations
    "\U000e0000-\U000e007f"  # tag characters ("ASCII smuggling")
    "\ud800-\udfff"  # lone surrogates: not text, and they break UTF-8 output
)
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")
_UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f{_INVISIBLE}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON spells characters beyond the BMP as a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def visible(text: object) -> str:
    """`text` with every control and invisible character replaced by a visible escape."""
    return _CONTROL.sub(_escape, text if isinstance(text, str) else str(text))


def one_line(text: object, width: int = 80) -> str:
    """A visible, single-line summary of `text`, cut to `width` characters."""
    flat = " ".join(visible(text).split())
    return flat if len(flat) <= width else flat[: max(width - 1, 0)] + "…"


def json_escaped(json_text: str) -> str:
    """JSON text (from `json.dumps(ensure_ascii=False)`) with what C0 escaping misses
    (DEL, C1, bidi, zero-width) spelled as JSON `\\u` escapes: same value, safe bytes."""
    return _UNSAFE_IN_JSON.sub(_json_escape, json_text)
