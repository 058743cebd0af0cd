"""A thread's latest checkpoint without reading all of its checkpoints.

Asked for the newest checkpoint of a thread, some servers (SecantusDB among them) fetch and
sort every checkpoint of that thread first, so each turn of a long conversation costs more
than the one before. A range on `checkpoint_id` is served by the index alone, though, and
LangGraph's checkpoint ids are UUIDv6, which sort by the time they were made. So the
newest checkpoint is looked for among recent ids first, then among all of them.

The answer is the same either way: every checkpoint outside the range sorts below it, so
the newest in the range, when there is one, is the newest of the thread. The first range
tried starts at the newest checkpoint this process has seen of the thread, if any: a
conversation's next turn then reads one document, however fast the earlier turns came.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.collection import Collection

# Most turns follow the previous one within the hour; a thread picked up again weeks later
# pays one more query.
WINDOWS = (timedelta(hours=1), timedelta(days=30))
_GREGORIAN_OFFSET = 0x01B21DD213814000  # 100 ns ticks from 1582-10-15 to 1970-01-01
_REMEMBERED = 10_000  # threads; forgetting one only costs its next lookup a wider range
_newest_seen: dict[tuple[str, str, str], str] = {}


def remember(
    checkpoints: Collection, thread_id: str, checkpoint_ns: str, checkpoint_id: str
) -> None:
    """Note a checkpoint of the thread this process has seen (read or written)."""
    key = (checkpoints.full_name, thread_id, checkpoint_ns)
    if checkpoint_id > _newest_seen.get(key, ""):
        if len(_newest_seen) >= _REMEMBERED:
            _newest_seen.clear()
        _newest_seen[key] = checkpoint_id


def checkpoint_id_floor(when: datetime) -> str:
    """The smallest UUIDv6 made at `when`: every checkpoint id made later sorts above it."""
    ticks = int(when.timestamp() * 10_000_000) + _GREGORIAN_OFFSET
    value = ((ticks >> 12) & 0xFFFFFFFFFFFF) << 80 | 0x6 << 76 | (ticks & 0x0FFF) << 64
    return str(uuid.UUID(int=value))


def latest_checkpoint(
    checkpoints: Collection,
    thread_id: str,
    checkpoint_ns: str = "",
    projection: dict | None = None,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """The thread's newest checkpoint document in `checkpoint_ns`, or None."""
    query = {"thread_id": thread_id, "checkpoint_ns": checkpoint_ns}
    newest_first = [("checkpoint_id", -1)]
    now = now or datetime.now(UTC)
    floors = [checkpoint_id_floor(now - window) for window in WINDOWS]
    seen = _newest_seen.get((checkpoints.full_name, thread_id, checkpoint_ns))
    if seen is not None:
        floors.insert(0, seen)
    for floor in floors:
        doc = checkpoints.find_one(
            {**query, "checkpoint_id": {"$gte": floor}}, projection, sort=newest_first
        )
        if doc is not None:
            break
    else:
        doc = checkpoints.find_one(query, projection, sort=newest_first)
    if doc is not None and isinstance(doc.get("checkpoint_id"), str):
        remember(checkpoints, thread_id, checkpoint_ns, doc["checkpoint_id"])
    return doc
