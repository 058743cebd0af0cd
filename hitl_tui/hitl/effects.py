"""Effects that happen at most once per tool call, even when the graph runs the call again.

An approved action can run twice without any operator doing anything wrong: a resumer
killed mid-action leaves the interrupt pending, and whoever takes the attempt over runs
the node again from its start. So an irreversible tool records its effect *before*
acting, keyed by thread and tool-call id under a unique index (the `_id`); a second run
finds the record and reports it instead of acting. A record whose effect never confirmed
says so: the action may have partly run, and a person must look.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

T = TypeVar("T")
STARTED, DONE = "started", "done"


@dataclass(frozen=True)
class PriorRun:
    """The record of a run of the same effect, found instead of acting again."""

    action: str
    state: str
    started_at: datetime
    done_at: datetime | None

    def sentence(self) -> str:
        if self.state == DONE and self.done_at is not None:
            return f"already done at {self.done_at:%Y-%m-%d %H:%M:%S} UTC; not run again"
        return (
            f"already done: started at {self.started_at:%Y-%m-%d %H:%M:%S} UTC by an attempt "
            "that never confirmed it finished (it may have partly run); not run again"
        )


class EffectLedger:
    """Where effects are recorded: a MongoDB collection, or memory when there is none."""

    def __init__(self, collection: Collection | None = None) -> None:
        self.collection = collection
        self._memory: dict[str, dict] = {}

    def once(self, thread_id: str, call_id: str, action: str, act: Callable[[], T]) -> T | PriorRun:
        """Run `act` unless this (thread, call, action) ran before; then say when it did."""
        key = json.dumps([thread_id, call_id, action])
        now = datetime.now(UTC)
        record = {
            "_id": key,
            "thread_id": thread_id,
            "call_id": call_id,
            "action": action,
            "state": STARTED,
            "started_at": now,
            "done_at": None,
        }
        prior = self._claim(record)
        if prior is not None:
            return PriorRun(
                action, prior["state"], _utc(prior["started_at"]), _utc(prior.get("done_at"))
            )
        result = act()
        self._set(key, {"state": DONE, "done_at": datetime.now(UTC)})
        return result

    def _claim(self, record: dict) -> dict | None:
        if self.collection is None:
            if record["_id"] in self._memory:
                return self._memory[record["_id"]]
            self._memory[record["_id"]] = dict(record)
            return None
        try:
            self.collection.insert_one(record)
            return None
        except DuplicateKeyError:
            return self.collection.find_one({"_id": record["_id"]}) or record

    def _set(self, key: str, fields: dict[str, Any]) -> None:
        if self.collection is None:
            self._memory[key].update(fields)
        else:
            self.collection.update_one({"_id": key}, {"$set": fields})


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
