"""Operator names: a display name must look like what it is.

`ali\u200bce` displays as "alice"; a bidi override can reverse a name on screen. Names
with control, format (bidi, zero-width), separator or unassigned characters are refused,
so the audit never records a name that reads as someone else's.
"""

from __future__ import annotations

import unicodedata

from hitl_tui.errors import UsageError

_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
MAX_OPERATOR_CHARS = 64


def validate_operator(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise UsageError("the operator name is empty; set --operator or HITL_OPERATOR")
    if len(name) > MAX_OPERATOR_CHARS:
        raise UsageError(f"the operator name is longer than {MAX_OPERATOR_CHARS} characters")
    for char in name:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise UsageError(
                f"the operator name contains an invisible or control character "
                f"(U+{ord(char):04X}); use plain letters"
            )
    return name
