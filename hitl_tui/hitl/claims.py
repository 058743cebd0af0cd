"""Claims: a lease on one (thread, interrupt) so that exactly one operator resumes it.

LangGraph itself lets two processes resume the same interrupt; for an "approve before
delete" tool that is a double delete. A claim is taken atomically (unique `_id`, then a
conditional update) and carries a token only its holder knows.

A plain claim (a ticket open on someone's screen) expires, so a crashed console cannot
lock a ticket forever. A `resuming` claim never expires by the clock: its resumer renews
it on a heartbeat while the graph runs. When the heartbeat has stopped for longer than
the lease (crash, kill -9, lost host), the ticket shows an *interrupted attempt*, and
only an explicit, audited `force` takes it over. Expiry is compared in the query itself,
never left to a TTL index. Every claim, release and takeover is an audit event.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from hitl_tui.errors import ConflictError
from hitl_tui.hitl import audit
from hitl_tui.hitl.identity import validate_operator
from hitl_tui.hitl.store import Store

CLAIMED, RESUMING, DONE = "claimed", "resuming", "done"


@dataclass(frozen=True)
class Claim:
    thread_id: str
    interrupt_id: str
    operator: str
    token: str
    expires_at: datetime


class InterruptedAttempt(ConflictError):
    """A resume started and its process stopped renewing the claim; `force` takes over."""


def claim_id(thread_id: str, interrupt_id: str) -> str:
    return json.dumps([thread_id, interrupt_id])


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(value, datetime) else "?"


def interrupted_attempt(doc: dict | None, now: datetime | None = None) -> dict | None:
    """`{operator, decision, started_at}` of a resume whose heartbeat stopped, else None."""
    if not doc or doc.get("state") != RESUMING:
        return None
    if doc["expires_at"] > (now or datetime.now(UTC)):
        return None
    started = doc.get("started_at")
    return {
        "operator": doc.get("operator"),
        "decision": doc.get("decision"),
        "started_at": started.isoformat() if isinstance(started, datetime) else None,
    }


def interrupted_sentence(attempt: dict) -> str:
    """What an operator must read before taking over a crashed attempt."""
    started = attempt.get("started_at") or "?"
    at = started[11:19] if len(started) >= 19 else started
    return (
        f"{attempt.get('operator')} started '{attempt.get('decision')}' at {at} UTC and "
        "never finished; the action may have partly run"
    )


def acquire(
    store: Store,
    thread_id: str,
    interrupt_id: str,
    operator: str,
    lease_seconds: float,
    *,
    force: bool = False,
) -> Claim:
    """Take the claim or raise ConflictError saying who holds it (or that it was answered).

    An expired plain claim is taken over; an interrupted attempt only with `force`."""
    validate_operator(operator)
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
        "decision": None,
        "started_at": None,
    }
    key = claim_id(thread_id, interrupt_id)
    where = {"thread_id": thread_id, "interrupt_id": interrupt_id}
    try:
        store.claims.insert_one({"_id": key, **fields})
    except DuplicateKeyError:
        current = store.claims.find_one({"_id": key})
        attempt = interrupted_attempt(current, now)
        if current is None or current.get("state") == DONE:
            raise ConflictError(conflict_message(current)) from None
        if current["expires_at"] > now:
            raise ConflictError(conflict_message(current)) from None
        if attempt is not None and not force:
            raise InterruptedAttempt(
                f"{interrupted_sentence(attempt)}; take it over with --force"
            ) from None
        taken = store.claims.find_one_and_update(
            {"_id": key, "token": current["token"], "expires_at": {"$lte": now}},
            {"$set": fields},
            return_document=ReturnDocument.AFTER,
        )
        # Some servers return None to a winner; the token decides, so read it back.
        mine = taken or store.claims.find_one({"_id": key})
        if not mine or mine.get("token") != token:
            raise ConflictError(conflict_message(mine)) from None
        if attempt is not None:
            _audit_given_up(store, operator, where, current, attempt, "taken over", attempt=token)
        audit.append(
            store,
            audit.CLAIMED,
            operator=operator,
            **where,
            attempt=token,
            took_over_from=current.get("operator"),
        )
        return Claim(thread_id, interrupt_id, operator, token, expires)
    audit.append(store, audit.CLAIMED, operator=operator, **where, attempt=token)
    return Claim(thread_id, interrupt_id, operator, token, expires)


def _audit_given_up(
    store: Store,
    operator: str,
    where: dict[str, str],
    current: dict,
    interrupted: dict,
    how: str,
    **forced: Any,
) -> None:
    """An interrupted attempt given up by force (taken over or released): the attempt is
    recorded as abandoned, with what it was doing, then the operator's forcing of it."""
    audit.append(
        store,
        audit.ABANDONED,
        operator=operator,
        attempt_operator=interrupted["operator"],
        **where,
        attempt=current["token"],
        decision={"action": interrupted["decision"]},
        error=f"{how} by {operator}: {interrupted_sentence(interrupted)}",
    )
    audit.append(
        store,
        audit.FORCED,
        operator=operator,
        **where,
        took_over_from=current.get("operator"),
        **forced,
    )


def conflict_message(doc: dict | None, now: datetime | None = None) -> str:
    if not doc:
        return "the ticket changed hands while claiming it; try again"
    if doc.get("state") == DONE:
        return f"already answered by {doc.get('operator')} at {_when(doc.get('claimed_at'))}"
    attempt = interrupted_attempt(doc, now)
    if attempt is not None:
        return f"{interrupted_sentence(attempt)}; take it over with --force"
    if doc.get("state") == RESUMING:
        return (
            f"being resumed by {doc.get('operator')} ('{doc.get('decision')}' since "
            f"{_when(doc.get('started_at'))})"
        )
    return f"claimed by {doc.get('operator')} since {_when(doc.get('claimed_at'))}"


def start_resuming(store: Store, claim: Claim, decision: str, lease_seconds: float) -> bool:
    """Our claim becomes a running attempt; False if it is no longer ours."""
    now = datetime.now(UTC)
    result = store.claims.update_one(
        {
            "_id": claim_id(claim.thread_id, claim.interrupt_id),
            "token": claim.token,
            "state": CLAIMED,
        },
        {
            "$set": {
                "state": RESUMING,
                "decision": decision,
                "started_at": now,
                "expires_at": now + timedelta(seconds=lease_seconds),
                "updated_at": now,
            }
        },
    )
    return result.matched_count == 1


def finish(store: Store, claim: Claim) -> bool:
    """Our attempt answered the interrupt; False if the claim is no longer ours."""
    result = store.claims.update_one(
        {"_id": claim_id(claim.thread_id, claim.interrupt_id), "token": claim.token},
        {"$set": {"state": DONE, "updated_at": datetime.now(UTC)}},
    )
    return result.matched_count == 1


def renew(store: Store, claim: Claim, lease_seconds: float) -> bool:
    """Extend our own claim; False if it was lost (taken over or released) or answered."""
    result = store.claims.update_one(
        {
            "_id": claim_id(claim.thread_id, claim.interrupt_id),
            "token": claim.token,
            "state": {"$ne": DONE},
        },
        {"$set": {"expires_at": datetime.now(UTC) + timedelta(seconds=lease_seconds)}},
    )
    return result.matched_count == 1


def is_held(store: Store, claim: Claim) -> bool:
    """Whether `claim` is still ours (a watcher's "claim lost" signal)."""
    doc = store.claims.find_one(
        {"_id": claim_id(claim.thread_id, claim.interrupt_id)}, {"token": 1}
    )
    return bool(doc) and doc.get("token") == claim.token


def release(store: Store, claim: Claim, why: str | None = None) -> bool:
    """Give the ticket back (only if it is still ours and not answered)."""
    result = store.claims.delete_one(
        {
            "_id": claim_id(claim.thread_id, claim.interrupt_id),
            "token": claim.token,
            "state": {"$ne": DONE},
        }
    )
    if result.deleted_count:
        audit.append(
            store,
            audit.RELEASED,
            operator=claim.operator,
            thread_id=claim.thread_id,
            interrupt_id=claim.interrupt_id,
            attempt=claim.token,
            error=why,
        )
    return result.deleted_count == 1


def release_any(
    store: Store, thread_id: str, interrupt_id: str, operator: str, *, force: bool = False
) -> bool:
    """An operator frees a ticket someone else holds. A running resume is never freed; an
    interrupted attempt only with `force`; answered tickets stay answered."""
    key = claim_id(thread_id, interrupt_id)
    current = store.claims.find_one({"_id": key})
    if current is None or current.get("state") == DONE:
        return False
    where = {"thread_id": thread_id, "interrupt_id": interrupt_id}
    attempt = interrupted_attempt(current)
    if current.get("state") == RESUMING:
        if attempt is None:
            raise ConflictError(f"release refused: {conflict_message(current)}")
        if not force:
            raise InterruptedAttempt(
                f"release refused: {interrupted_sentence(attempt)}; release it with --force"
            )
    result = store.claims.delete_one({"_id": key, "token": current["token"]})
    if not result.deleted_count:
        return False
    if attempt is not None:
        _audit_given_up(store, operator, where, current, attempt, "released")
    audit.append(
        store,
        audit.RELEASED,
        operator=operator,
        **where,
        attempt=current["token"],
        took_over_from=current.get("operator"),
    )
    return True


def active_claims(store: Store) -> dict[tuple[str, str], dict]:
    """Unexpired claims, and interrupted attempts (which never expire), by (thread, interrupt)."""
    now = datetime.now(UTC)
    docs = store.claims.find({"state": {"$in": [CLAIMED, RESUMING]}})
    return {
        (d["thread_id"], d["interrupt_id"]): d
        for d in docs
        if d["state"] == RESUMING or d["expires_at"] > now
    }


def holder(doc: dict | None, now: datetime | None = None) -> str | None:
    """Who is on a ticket right now: None when free or when the attempt was interrupted."""
    if doc is None or interrupted_attempt(doc, now) is not None:
        return None
    return doc.get("operator")


def attach(store: Store, items: list) -> None:
    """Who holds each ticket, and any interrupted attempt on it, in one query."""
    active = active_claims(store)
    for item in items:
        doc = active.get((item.thread_id, item.interrupt_id))
        item.claimed_by = holder(doc)
        item.interrupted_attempt = interrupted_attempt(doc)
        item.claimed_at = doc["claimed_at"] if doc else None
        item.claim_state = doc["state"] if doc else None


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
