"""Claims: a lease on one (thread, interrupt) so that exactly one operator resumes it.

LangGraph itself lets two processes resume the same interrupt; for an "approve before
delete" tool that is a double delete. A claim is taken atomically (unique `_id`, then a
conditional update), carries a token only its holder knows, and expires: a crashed
console cannot lock a ticket forever. Expiry is compared in the query itself, never left
to a TTL index.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from hitl_tui.errors import ConflictError
from hitl_tui.hitl.store import Store

CLAIMED, RESUMING, DONE = "claimed", "resuming", "done"


@dataclass(frozen=True)
class Claim:
    thread_id: str
    interrupt_id: str
    operator: str
    token: str
    expires_at: datetime


def claim_id(thread_id: str, interrupt_id: str) -> str:
    return json.dumps([thread_id, interrupt_id])


def acquire(
    store: Store, thread_id: str, interrupt_id: str, operator: str, lease_seconds: float
) -> Claim:
    """Take the claim or raise ConflictError saying who holds it (or that it was answered)."""
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=lease_seconds)
    token = uuid.uuid4().hex
    fields = {
        "thread_id": thread_id,
        "interrupt_id": interrupt_id,
        "operator": operator,
        "token": token,
        "state": CLAIMED,
        "claimed_at": now,
        "expires_at": expires,
        "updated_at": now,
    }
    key = claim_id(thread_id, interrupt_id)
    try:
        store.claims.insert_one({"_id": key, **fields})
        return Claim(thread_id, interrupt_id, operator, token, expires)
    except DuplicateKeyError:
        pass
    taken = store.claims.find_one_and_update(
        {"_id": key, "state": {"$ne": DONE}, "expires_at": {"$lte": now}},
        {"$set": fields},
        return_document=ReturnDocument.AFTER,
    )
    # Some servers return None to a winner; the token decides, so read it back.
    current = taken or store.claims.find_one({"_id": key})
    if current and current.get("token") == token:
        return Claim(thread_id, interrupt_id, operator, token, expires)
    raise ConflictError(conflict_message(current))


def conflict_message(doc: dict | None) -> str:
    if not doc:
        return "the ticket changed hands while claiming it; try again"
    when = doc.get("claimed_at")
    since = when.strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(when, datetime) else "?"
    if doc.get("state") == DONE:
        return f"already answered by {doc.get('operator')} at {since}"
    return f"claimed by {doc.get('operator')} since {since}"


def mark(store: Store, claim: Claim, state: str) -> bool:
    """Move our own claim to `state` (resuming, done); False if it is no longer ours."""
    result = store.claims.update_one(
        {"_id": claim_id(claim.thread_id, claim.interrupt_id), "token": claim.token},
        {"$set": {"state": state, "updated_at": datetime.now(UTC)}},
    )
    return result.matched_count == 1


def renew(store: Store, claim: Claim, lease_seconds: float) -> bool:
    """Extend our own claim; False if it was lost (expired and taken) or answered."""
    result = store.claims.update_one(
        {
            "_id": claim_id(claim.thread_id, claim.interrupt_id),
            "token": claim.token,
            "state": {"$ne": DONE},
        },
        {
            "$set": {
                "state": CLAIMED,
                "expires_at": datetime.now(UTC) + timedelta(seconds=lease_seconds),
            }
        },
    )
    return result.matched_count == 1


def release(store: Store, claim: Claim) -> None:
    """Give the ticket back (only if it is still ours and not answered)."""
    store.claims.delete_one(
        {
            "_id": claim_id(claim.thread_id, claim.interrupt_id),
            "token": claim.token,
            "state": {"$ne": DONE},
        }
    )


def release_any(store: Store, thread_id: str, interrupt_id: str) -> bool:
    """An operator frees a ticket someone else holds; answered tickets stay answered."""
    result = store.claims.delete_one(
        {"_id": claim_id(thread_id, interrupt_id), "state": {"$ne": DONE}}
    )
    return result.deleted_count == 1


def active_claims(store: Store) -> dict[tuple[str, str], dict]:
    """Unexpired claims by (thread, interrupt)."""
    now = datetime.now(UTC)
    docs = store.claims.find({"state": {"$in": [CLAIMED, RESUMING]}, "expires_at": {"$gt": now}})
    return {(d["thread_id"], d["interrupt_id"]): d for d in docs}


def claim_of(store: Store, thread_id: str, interrupt_id: str) -> dict | None:
    return store.claims.find_one({"_id": claim_id(thread_id, interrupt_id)})


def last_answered(store: Store, thread_id: str) -> dict | None:
    """The most recent claim of the thread that answered it or is answering it right now,
    to say who did. A resume writes the graph's new checkpoint a moment before it marks its
    claim done, so "resuming" counts too."""
    docs = (
        store.claims.find({"thread_id": thread_id, "state": {"$in": [RESUMING, DONE]}})
        .sort("claimed_at", -1)
        .limit(1)
    )
    return next(iter(docs), None)
