"""Checkpoint ids are UUIDv6 (LangGraph's `uuid6`): their text sorts by creation time.

That makes "everything written since T" an index range on `checkpoint_id`, which every
MongoDB-compatible server serves from an index (a range on `_id` is a full scan on some).
"""

from __future__ import annotations

from datetime import UTC, datetime

_UUID_EPOCH_OFFSET = 0x01B21DD213814000  # 100-ns intervals from 1582-10-15 to 1970-01-01


def id_prefix_at(when: datetime) -> str:
    """The smallest checkpoint-id prefix of anything created at or after `when`."""
    ticks = int(when.timestamp() * 10_000_000) + _UUID_EPOCH_OFFSET
    high = (ticks >> 12) & 0xFFFFFFFFFFFF
    text = f"{high:012x}"
    return f"{text[:8]}-{text[8:]}"


def time_of(checkpoint_id: object) -> datetime | None:
    """When a UUIDv6 checkpoint id was made (to 0.4 ms), or None for other ids."""
    if not isinstance(checkpoint_id, str) or len(checkpoint_id) < 19:
        return None
    try:
        high = int(checkpoint_id[:8] + checkpoint_id[9:13], 16)
        low = int(checkpoint_id[15:18], 16)
    except ValueError:
        return None
    if checkpoint_id[14] != "6":
        return None
    ticks = (high << 12 | low) - _UUID_EPOCH_OFFSET
    return datetime.fromtimestamp(ticks / 10_000_000, tz=UTC)
