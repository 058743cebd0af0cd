"""Deadlines on tickets: a person waiting on a human is an incident clock.

`HITL_SLA` gives a deadline per interrupt kind, e.g. `query=15m,approval=5m,*=30m`
(`*` is every other kind). A ticket is due `created_at` plus its kind's allowance, and
overdue from then on. Tickets without a deadline sort after those with one, oldest first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hitl_tui.hitl.humanize import age

# The kinds of DESIGN section 3: a typo such as `approvel=5m` is refused, not ignored.
KINDS = (
    "query",
    "approval",
    "plan",
    "prompt",
    "breakpoint",
    "hitl_request",
    "tool_approval",
    "human_interrupt",
    "unknown",
)
ANY_KIND = "*"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


class SlaError(ValueError):
    """A `HITL_SLA` value that cannot be read; the message says which part and why."""


def parse_duration(text: str) -> float:
    """`90s`, `15m`, `1h30m`, `2d` -> seconds (> 0)."""
    compact = text.strip().lower()
    if not compact or _DURATION.sub("", compact):
        raise SlaError(f"{text.strip()!r} is not a duration (use e.g. 90s, 15m, 1h30m, 2d)")
    seconds = sum(float(n) * _UNITS[unit] for n, unit in _DURATION.findall(compact))
    if seconds <= 0:
        raise SlaError(f"{text.strip()!r} must be longer than zero")
    return seconds


@dataclass(frozen=True)
class SlaPolicy:
    """Seconds allowed per kind, and for every other kind (`default`); empty: no deadlines."""

    per_kind: dict[str, float] = field(default_factory=dict)
    default: float | None = None

    def __bool__(self) -> bool:
        return bool(self.per_kind) or self.default is not None

    def allowance(self, kind: str) -> float | None:
        return self.per_kind.get(kind, self.default)

    def due_at(self, kind: str, created_at: datetime) -> datetime | None:
        seconds = self.allowance(kind)
        if seconds is None:
            return None
        try:
            return created_at + timedelta(seconds=seconds)
        except OverflowError:  # created at the calendar's end: no deadline can follow
            return None


def parse_sla(text: str | None) -> SlaPolicy:
    """Read `kind=duration,...`; raises SlaError naming the part that is wrong."""
    if text is None or not text.strip():
        return SlaPolicy()
    per_kind: dict[str, float] = {}
    default: float | None = None
    for part in text.split(","):
        if not part.strip():
            continue
        kind, sep, duration = part.partition("=")
        kind = kind.strip()
        if not sep:
            raise SlaError(f"{part.strip()!r} needs the form kind=duration (e.g. query=15m)")
        if kind != ANY_KIND and kind not in KINDS:
            raise SlaError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)} or *")
        if kind in per_kind or (kind == ANY_KIND and default is not None):
            raise SlaError(f"kind {kind!r} is given twice")
        seconds = parse_duration(duration)
        if kind == ANY_KIND:
            default = seconds
        else:
            per_kind[kind] = seconds
    return SlaPolicy(per_kind, default)


def stamp(items: Iterable[Any], policy: SlaPolicy) -> list[Any]:
    """Set `due_at` on each pending item (None where no deadline applies); returns them."""
    stamped = list(items)
    for item in stamped:
        item.due_at = policy.due_at(item.kind, item.created_at)
    return stamped


def is_overdue(item: Any, now: datetime | None = None) -> bool:
    due = getattr(item, "due_at", None)
    return due is not None and (now or datetime.now(UTC)) >= due


def by_urgency(items: Iterable[Any]) -> list[Any]:
    """Earliest deadline first; tickets without a deadline after them, oldest first.

    Python's sort is stable, so with no deadlines at all the order is unchanged.
    """
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(items, key=lambda item: getattr(item, "due_at", None) or far)


def ranked(items: Iterable[Any], policy: SlaPolicy) -> list[Any]:
    """`items` stamped with their deadlines, most urgent first: the inbox's order."""
    return by_urgency(stamp(items, policy))


def deadline_text(item: Any, now: datetime) -> str | None:
    """`-4m10s` while time is left, `!2m05s` once overdue (a marker, not colour alone);
    six characters at most, the width of the inbox's age column."""
    due = getattr(item, "due_at", None)
    if due is None:
        return None
    left = (due - now).total_seconds()
    return f"-{age(left)}" if left > 0 else f"!{age(-left)}"


class OverdueTracker:
    """Says which tickets became overdue since the last look, each of them once."""

    def __init__(self) -> None:
        self._announced: set[tuple[str, str]] = set()

    def newly_overdue(self, items: Iterable[Any], now: datetime | None = None) -> list[Any]:
        now = now or datetime.now(UTC)
        late = [
            item
            for item in items
            if is_overdue(item, now) and (item.thread_id, item.interrupt_id) not in self._announced
        ]
        self._announced.update((item.thread_id, item.interrupt_id) for item in late)
        return late

    def forget_all_but(self, items: Iterable[Any]) -> None:
        """Drop answered tickets, so a long-running console does not keep them forever."""
        self._announced &= {(item.thread_id, item.interrupt_id) for item in items}
