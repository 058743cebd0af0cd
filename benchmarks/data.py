"""Build large data sets quickly by cloning the documents of real runs.

One finished thread (asked, escalated, answered) and one pending thread are produced by
the real graph; their checkpoint and write documents are then copied under new thread
ids. `_id`s are minted with a chosen insertion time, so a history can be made "old"
the way a year of tickets would be.
"""

from __future__ import annotations

import itertools
import os
import struct
import uuid
from datetime import UTC, datetime, timedelta

from bson import ObjectId

from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.kinds import RESPOND, Decision
from hitl_tui.hitl.resume import resume
from hitl_tui.runtime import Hub

_counter = itertools.count(1)
_MACHINE = os.urandom(5)


def object_id_at(when: datetime) -> ObjectId:
    """A unique ObjectId whose embedded time is `when`."""
    return ObjectId(
        struct.pack(">I", int(when.timestamp())) + _MACHINE + struct.pack(">I", next(_counter))[1:]
    )


def template_threads(hub: Hub) -> tuple[str, str]:
    """Run the real graph once for a finished and once for a pending thread."""
    done = ask(hub, "Template question that an operator answered", "template-done")
    resume(hub, done.thread_id, Decision(RESPOND, text="template answer"), "bench")
    waiting = ask(hub, "Template question still waiting", "template-wait")
    return done.thread_id, waiting.thread_id


def shifted_id(checkpoint_id: str, when: datetime) -> str:
    """`checkpoint_id` re-stamped with the time `when` (same UUIDv6 layout, same order)."""
    value = uuid.UUID(checkpoint_id).int
    ticks = int(when.timestamp() * 10_000_000) + 0x01B21DD213814000
    value &= ~((0xFFFFFFFFFFFF << 80) | (0x0FFF << 64))
    value |= ((ticks >> 12) & 0xFFFFFFFFFFFF) << 80 | (ticks & 0x0FFF) << 64
    return str(uuid.UUID(int=value))


def clone_threads(
    hub: Hub, template: str, prefix: str, count: int, when: datetime, batch: int = 2000
) -> list[str]:
    """Copy every document of `template` under `count` new thread ids, as if written at
    `when` (one millisecond apart): insertion ids and checkpoint ids both carry that time."""
    store = hub.store
    checkpoints = list(store.checkpoints.find({"thread_id": template}, {"_id": 0}))
    writes = list(store.writes.find({"thread_id": template}, {"_id": 0}))
    originals = sorted({d["checkpoint_id"] for d in checkpoints})
    threads = [f"{prefix}-{n:06d}" for n in range(count)]
    for collection, docs in ((store.checkpoints, checkpoints), (store.writes, writes)):
        pending: list[dict] = []
        for index, thread in enumerate(threads):
            stamp = when + timedelta(milliseconds=index)
            ids = {
                old: shifted_id(old, stamp + timedelta(microseconds=step * 10))
                for step, old in enumerate(originals)
            }
            for doc in docs:
                copy = {
                    **doc,
                    "_id": object_id_at(stamp),
                    "thread_id": thread,
                    "checkpoint_id": ids.get(doc["checkpoint_id"], doc["checkpoint_id"]),
                }
                if doc.get("parent_checkpoint_id"):
                    copy["parent_checkpoint_id"] = ids.get(doc["parent_checkpoint_id"])
                pending.append(copy)
            if len(pending) >= batch:
                collection.insert_many(pending, ordered=False)
                pending = []
        if pending:
            collection.insert_many(pending, ordered=False)
    return threads


def quiet_burst(hub: Hub, finished: int, pending: int, minutes_ago: float = 10) -> list[str]:
    """`finished` answered and `pending` waiting threads loaded in one go (1 ms apart, as a
    bulk import would), `minutes_ago`, with nothing written since: the templates go."""
    done, waiting = template_threads(hub)
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    clone_threads(hub, done, "done", finished, when)
    waiting_ids = clone_threads(
        hub, waiting, "wait", pending, when + timedelta(milliseconds=finished)
    )
    store = hub.store
    for collection in (store.checkpoints, store.writes, store.claims, store.audit):
        collection.delete_many({"thread_id": {"$in": [done, waiting]}})
    return waiting_ids


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)
