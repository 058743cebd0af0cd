"""The audit trail: every decision, who made it, what it sent and how it ended."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId

from hitl_tui.hitl.jsonsafe import to_jsonable
from hitl_tui.hitl.store import Store

STARTED, RESUMED, FAILED = "started", "resumed", "failed"


def record_start(
    store: Store,
    *,
    operator: str,
    thread_id: str,
    interrupt_id: str,
    kind: str,
    decision: dict,
    resume_value: Any,
    checkpoint_before: str,
) -> ObjectId:
    doc = {
        "operator": operator,
        "thread_id": thread_id,
        "interrupt_id": interrupt_id,
        "kind": kind,
        "decision": to_jsonable(decision),
        "payload": to_jsonable(resume_value),
        "checkpoint_before": checkpoint_before,
        "checkpoint_after": None,
        "started_at": datetime.now(UTC),
        "finished_at": None,
        "outcome": STARTED,
        "error": None,
    }
    return store.audit.insert_one(doc).inserted_id


def record_end(
    store: Store,
    entry_id: ObjectId,
    outcome: str,
    *,
    checkpoint_after: str | None = None,
    error: str | None = None,
) -> None:
    store.audit.update_one(
        {"_id": entry_id},
        {
            "$set": {
                "outcome": outcome,
                "checkpoint_after": checkpoint_after,
                "finished_at": datetime.now(UTC),
                "error": error,
            }
        },
    )


def history(store: Store, thread_id: str | None = None, limit: int = 200) -> list[dict]:
    query = {"thread_id": thread_id} if thread_id else {}
    docs = store.audit.find(query).sort("started_at", -1).limit(limit)
    return [as_json(d) for d in reversed(list(docs))]


def as_json(doc: dict) -> dict:
    out = {k: to_jsonable(v) for k, v in doc.items() if k != "_id"}
    out["id"] = str(doc.get("_id"))
    return out
