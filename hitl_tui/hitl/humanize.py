"""Numbers as people read them at a glance."""

from __future__ import annotations


def age(seconds: float) -> str:
    """A compact age: 42s, 3m07s, 2h05m, 4d03h."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600:02d}h"
