"""Deterministic data for snapshots and screenshots: fixed thread ids and fixed times."""

from __future__ import annotations

from datetime import UTC, datetime

from hitl_tui.hitl.store import Store

FROZEN_TS = datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)
FROZEN_NOW = datetime(2026, 11, 24, 9, 4, 12, tzinfo=UTC)
FROZEN_URI = "mongodb://127.0.0.1:27777"


def freeze_thread_times(store: Store, thread_id: str) -> None:
    """Rewrite the `ts` of every checkpoint of the thread to FROZEN_TS."""
    for doc in store.checkpoints.find({"thread_id": thread_id}):
        checkpoint = store.serde.loads_typed((doc["type"], doc["checkpoint"]))
        checkpoint["ts"] = FROZEN_TS.isoformat()
        kind, blob = store.serde.dumps_typed(checkpoint)
        store.checkpoints.update_one(
            {"_id": doc["_id"]}, {"$set": {"type": kind, "checkpoint": blob}}
        )


def frozen_clock() -> datetime:
    return FROZEN_NOW
