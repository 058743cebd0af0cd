"""Delivery marks: which events a group of watchers has delivered, kept on the event itself.

Watchers with the same outputs (same `--exec`, `--webhook`, `--events`) form a group and
share the work: each takes a lease on one event at a time, delivers it, and marks it done.
A watcher killed mid-delivery leaves its lease to expire and a peer (or its own restart)
delivers the event again: at least once. Marking each output as it succeeds, and the mark
right after the delivery, keep the repeat window to the instant between the two.

A group delivers the events recorded after it first started; it does not replay the
history of a database it has never watched.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument

from hitl_tui.hitl.events import events_of
from hitl_tui.hitl.store import Store

# Events recorded this long before the oldest undelivered one are not looked at again:
# a peer's clock, or an insert in flight, may place an event slightly in the past.
FLOOR_MARGIN = timedelta(minutes=2)


def group_of(outputs: dict) -> str:
    """A short name for a configuration of outputs; equal configurations share work."""
    return hashlib.sha256(json.dumps(outputs, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Lease:
    event_id: str
    token: str
    event: dict
    done_outputs: list[str]


class DeliveryLog:
    """Leases and marks of one group on the `hitl_events` collection."""

    def __init__(self, store: Store, group: str, types: tuple[str, ...], lease_seconds: float):
        self.store = store
        self.group = group
        self.types = list(types)
        self.lease_seconds = lease_seconds
        self._floor: datetime | None = None
        self._prefix = f"delivery.{group}"

    def register(self) -> None:
        """Note when the group first ran: the events it owes start there."""
        meta_id = f"watch:{self.group}"
        now = datetime.now(UTC)
        self.store.meta.update_one(
            {"_id": meta_id}, {"$setOnInsert": {"since": now, "floor": now}}, upsert=True
        )
        doc = self.store.meta.find_one({"_id": meta_id}) or {}
        floor = doc.get("floor") or doc.get("since") or now
        self._floor = floor if floor.tzinfo else floor.replace(tzinfo=UTC)

    def _owed(self, now: datetime) -> dict:
        assert self._floor is not None, "register() first"
        return {
            "recorded_at": {"$gte": self._floor},
            "type": {"$in": self.types},
            f"{self._prefix}.done": {"$ne": True},
        }

    def take(self) -> Lease | None:
        """Lease the oldest event this group still owes, or None if there is none free."""
        now = datetime.now(UTC)
        token = uuid.uuid4().hex
        query = {
            **self._owed(now),
            "$or": [
                {f"{self._prefix}.until": {"$exists": False}},
                {f"{self._prefix}.until": {"$lte": now}},
            ],
        }
        update = {
            "$set": {
                f"{self._prefix}.token": token,
                f"{self._prefix}.until": now + timedelta(seconds=self.lease_seconds),
            },
            "$inc": {f"{self._prefix}.attempts": 1},
        }
        events = events_of(self.store)
        doc = events.find_one_and_update(
            query,
            update,
            sort=[("recorded_at", 1), ("_id", 1)],
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            self._raise_floor(now)
            return None
        # Some servers answer a race's loser with the winner's document: the token decides.
        mine = doc.get("delivery", {}).get(self.group, {})
        if mine.get("token") != token:
            doc = events.find_one({"_id": doc["_id"]})
            mine = (doc or {}).get("delivery", {}).get(self.group, {})
            if mine.get("token") != token:
                return None
        return Lease(doc["_id"], token, doc["event"], list(mine.get("outputs", [])))

    def renew(self, lease: Lease) -> bool:
        until = datetime.now(UTC) + timedelta(seconds=self.lease_seconds)
        return self._update(lease, {"$set": {f"{self._prefix}.until": until}})

    def output_done(self, lease: Lease, output: str) -> bool:
        ok = self._update(lease, {"$addToSet": {f"{self._prefix}.outputs": output}})
        if ok:
            lease.done_outputs.append(output)
        return ok

    def done(self, lease: Lease) -> bool:
        now = datetime.now(UTC)
        return self._update(
            lease, {"$set": {f"{self._prefix}.done": True, f"{self._prefix}.done_at": now}}
        )

    def give_back(self, lease: Lease) -> None:
        """Let a peer (or the next start) take the event at once, e.g. when shutting down."""
        self._update(lease, {"$set": {f"{self._prefix}.until": datetime.now(UTC)}})

    def _update(self, lease: Lease, update: dict) -> bool:
        result = events_of(self.store).update_one(
            {"_id": lease.event_id, f"{self._prefix}.token": lease.token}, update
        )
        return result.matched_count == 1

    def _raise_floor(self, now: datetime) -> None:
        """Move the start of the scan up to the oldest event still owed, minus a margin,
        so an idle watcher reads the last few minutes, not the whole history."""
        oldest = events_of(self.store).find_one(
            self._owed(now), {"recorded_at": 1}, sort=[("recorded_at", 1)]
        )
        floor = now - FLOOR_MARGIN
        if oldest is not None:
            owed_at = oldest["recorded_at"]
            owed_at = owed_at if owed_at.tzinfo else owed_at.replace(tzinfo=UTC)
            floor = min(floor, owed_at)
        if self._floor is None or floor > self._floor:
            self._floor = floor
            self.store.meta.update_one(
                {"_id": f"watch:{self.group}"}, {"$max": {"floor": floor}}, upsert=True
            )
