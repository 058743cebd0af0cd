"""Find every pending interrupt in MongoDB at a cost that follows what is pending, not
the size of the history.

MongoDBSaver keeps no "pending" flag, so a scan keeps one: `hitl_inbox` holds a document
per checkpoint that received an interrupt, and a high-water mark in `hitl_meta` records how
far the checkpoint and write collections have been read (by `_id`, i.e. insertion time).
Each refresh reads only what was inserted since, plus the open entries. Threads written by
any program show up, because the scan reads MongoDBSaver's own collections.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from pymongo import UpdateOne

from hitl_tui.hitl.claims import active_claims
from hitl_tui.hitl.snapshot import INTERRUPT, PendingInterrupt, latest_checkpoint_id, load_snapshot
from hitl_tui.hitl.store import Store

META_ID = "inbox"
# Documents inserted up to this long before the mark are read again: clocks of different
# writers and ObjectId's one-second resolution must not hide a write.
RESCAN_MARGIN = timedelta(seconds=30)


class Inbox:
    """Incrementally maintained list of pending interrupts; one per process or front-end."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._decoded: dict[tuple[str, str], list[PendingInterrupt]] = {}
        self.problems: dict[str, list[str]] = {}

    def refresh(self) -> list[PendingInterrupt]:
        """Every pending interrupt, oldest first, with who has claimed it."""
        touched, newer = self._sync()
        for key in list(self._decoded):
            if key in touched or key[0] in newer:
                del self._decoded[key]
        open_entries = list(
            self.store.inbox.find({"state": "open"}, {"thread_id": 1, "checkpoint_id": 1})
        )
        live = set()
        closed: list[str] = []
        for entry in open_entries:
            key = (entry["thread_id"], entry["checkpoint_id"])
            if key not in self._decoded:
                if not self._decode(key):
                    closed.append(entry["_id"])
                    continue
            live.add(key)
        if closed:
            self.store.inbox.update_many({"_id": {"$in": closed}}, {"$set": {"state": "closed"}})
        for key in list(self._decoded):
            if key not in live:
                del self._decoded[key]
        items = [item for key in live for item in self._decoded[key]]
        claims = active_claims(self.store)
        for item in items:
            claim = claims.get((item.thread_id, item.interrupt_id))
            item.claimed_by = claim["operator"] if claim else None
            item.claimed_at = claim["claimed_at"] if claim else None
            item.claim_state = claim["state"] if claim else None
        items.sort(key=lambda i: (i.created_at, i.thread_id, i.interrupt_id))
        return items

    def _decode(self, key: tuple[str, str]) -> bool:
        """Decode an open entry; False when it is no longer the thread's latest checkpoint."""
        thread_id, checkpoint_id = key
        if latest_checkpoint_id(self.store, thread_id) != checkpoint_id:
            return False
        snapshot = load_snapshot(self.store, thread_id, checkpoint_id)
        if snapshot is None:
            return False
        if snapshot.problems:
            self.problems[thread_id] = snapshot.problems
        else:
            self.problems.pop(thread_id, None)
        if not snapshot.pending:
            return False
        self._decoded[key] = snapshot.pending
        return True

    def _sync(self) -> tuple[set[tuple[str, str]], set[str]]:
        """Read what was inserted since the mark; record new interrupts, close answered ones.

        Returns the (thread, checkpoint) pairs that got writes and the threads that got
        checkpoints, so cached decodes of them are thrown away.
        """
        meta = self.store.meta.find_one({"_id": META_ID}) or {}
        mark = meta.get("hwm")
        query = {}
        if isinstance(mark, datetime):
            mark = mark if mark.tzinfo else mark.replace(tzinfo=UTC)
            query = {"_id": {"$gte": ObjectId.from_datetime(mark - RESCAN_MARGIN)}}
        newest: datetime | None = None

        touched: set[tuple[str, str]] = set()
        interrupted: set[tuple[str, str]] = set()
        fields = {"thread_id": 1, "checkpoint_ns": 1, "checkpoint_id": 1, "channel": 1}
        for write in self.store.writes.find(query, fields):
            newest = _later(newest, write.get("_id"))
            if write.get("checkpoint_ns") != "" or not isinstance(write.get("thread_id"), str):
                continue
            key = (write["thread_id"], str(write.get("checkpoint_id")))
            touched.add(key)
            if write.get("channel") == INTERRUPT:
                interrupted.add(key)

        newest_checkpoint: dict[str, str] = defaultdict(str)
        for doc in self.store.checkpoints.find(
            query, {"thread_id": 1, "checkpoint_ns": 1, "checkpoint_id": 1}
        ):
            newest = _later(newest, doc.get("_id"))
            if doc.get("checkpoint_ns") != "" or not isinstance(doc.get("thread_id"), str):
                continue
            thread = doc["thread_id"]
            newest_checkpoint[thread] = max(
                newest_checkpoint[thread], str(doc.get("checkpoint_id"))
            )

        if interrupted:
            now = datetime.now(UTC)
            self.store.inbox.bulk_write(
                [
                    UpdateOne(
                        {"_id": _entry_id(thread, cid)},
                        {
                            "$setOnInsert": {
                                "thread_id": thread,
                                "checkpoint_id": cid,
                                "state": "open",
                                "found_at": now,
                            }
                        },
                        upsert=True,
                    )
                    for thread, cid in interrupted
                ],
                ordered=False,
            )
        if newest_checkpoint:
            stale = [
                entry["_id"]
                for entry in self.store.inbox.find(
                    {"state": "open"}, {"thread_id": 1, "checkpoint_id": 1}
                )
                if entry["checkpoint_id"] < newest_checkpoint.get(entry["thread_id"], "")
            ]
            if stale:
                self.store.inbox.update_many({"_id": {"$in": stale}}, {"$set": {"state": "closed"}})
        if newest is not None:
            self.store.meta.update_one({"_id": META_ID}, {"$max": {"hwm": newest}}, upsert=True)
        return touched, set(newest_checkpoint)


def _entry_id(thread_id: str, checkpoint_id: str) -> str:
    return f"{thread_id}\x1f{checkpoint_id}"


def _later(current: datetime | None, oid: object) -> datetime | None:
    if not isinstance(oid, ObjectId):
        return current
    when = oid.generation_time
    return when if current is None or when > current else current
