"""The audit trail: an append-only, hash-chained log of every claim and decision.

Events are never updated in place. Each carries a sequence number (its `_id`, so the
unique index keeps one chain however many operators append at once: the loser of a race
re-reads the head and tries again) and the link of the previous event. A link is SHA-256
over a canonical encoding, or an HMAC with `HITL_AUDIT_KEY`, so that database access
alone cannot rewrite history without `verify` noticing. The highest sequence number is
also kept in `hitl_meta`, so events deleted from the end are noticed too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import bson
from pymongo.errors import DuplicateKeyError

from hitl_tui.errors import UsageError
from hitl_tui.hitl.jsonsafe import to_jsonable
from hitl_tui.hitl.store import Store

CLAIMED, RELEASED, STARTED, RESUMED, FAILED = "claimed", "released", "started", "resumed", "failed"
ABANDONED, FORCED, CLAIM_LOST = "abandoned", "forced", "claim-lost"
GENESIS = "0" * 64
HEAD_ID = "audit-head"
SHA256, HMAC_SHA256 = "sha256", "hmac-sha256"
MAX_EVENT_BYTES = 15 * 1024 * 1024  # MongoDB stores at most 16 MB per document
_APPEND_ATTEMPTS = 200


def audit_key(store: Store) -> bytes | None:
    """The HMAC key (`HITL_AUDIT_KEY`) the store was given, or None for plain SHA-256."""
    return getattr(store, "audit_key", None)


def _ms(when: datetime) -> datetime:
    """MongoDB keeps milliseconds: hash exactly what will be read back."""
    when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$date": _ms(value).isoformat(timespec="milliseconds")}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def link_of(event: dict, key: bytes | None) -> str:
    """The link of an event: a digest of everything in it but the link itself."""
    body = {k: v for k, v in event.items() if k != "hash"}
    text = json.dumps(
        _canonical(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    if key is not None:
        return hmac.new(key, text, hashlib.sha256).hexdigest()
    return hashlib.sha256(text).hexdigest()


def verified_user(store: Store) -> str | None:
    """The database user this connection authenticated as, or None without authentication.

    This is the identity the server vouches for; the operator name is self-declared."""
    cached = getattr(store, "_verified_user", "?")
    if cached != "?":
        return cached
    try:
        status = store.db.command("connectionStatus")
        users = status.get("authInfo", {}).get("authenticatedUsers", [])
    except Exception:
        users = []
    user = f"{users[0].get('user')}@{users[0].get('db')}" if users else None
    store._verified_user = user  # type: ignore[attr-defined]
    return user


def append(store: Store, event: str, *, operator: str, **fields: Any) -> dict:
    """Add one event to the end of the chain and return it as stored."""
    key = audit_key(store)
    body = {
        "event": event,
        "operator": operator,
        "identity": verified_user(store),
        "alg": HMAC_SHA256 if key else SHA256,
        **{k: to_jsonable(v) for k, v in fields.items()},
    }
    check_size(body)
    for _ in range(_APPEND_ATTEMPTS):
        head = next(iter(store.audit.find({"_id": {"$gte": 1}}).sort("_id", -1).limit(1)), None)
        seq = head["_id"] + 1 if head else 1
        # Time never runs backwards along the chain, even across hosts whose clocks differ,
        # so a back-dated insertion stands out.
        at = _ms(datetime.now(UTC))
        if head and isinstance(head.get("at"), datetime):
            at = max(at, _ms(head["at"]))
        doc = {"_id": seq, **body, "at": at, "prev": head["hash"] if head else GENESIS}
        doc["hash"] = link_of(doc, key)
        try:
            store.audit.insert_one(doc)
        except DuplicateKeyError:
            continue  # another operator appended first: link to theirs
        store.meta.update_one({"_id": HEAD_ID}, {"$max": {"seq": seq}}, upsert=True)
        return doc
    raise RuntimeError("the audit chain is too busy to append to; try again")


def check_size(body: dict) -> None:
    size = len(bson.encode({"_id": 0, "prev": GENESIS, "hash": GENESIS, **body}))
    if size > MAX_EVENT_BYTES:
        raise UsageError(
            f"the answer is {size / 1e6:.1f} MB; MongoDB stores at most 16 MB per document"
        )


@dataclass(frozen=True)
class Verdict:
    events: int
    problem: str | None
    alg: str

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify(store: Store) -> Verdict:
    """Walk the whole chain; name the first altered, inserted or missing event."""
    key = audit_key(store)
    alg = HMAC_SHA256 if key else SHA256
    prev_hash, prev_at, expected, count = GENESIS, None, 1, 0
    outsider = store.audit.find_one({"_id": {"$not": {"$gte": 1}}}, {"_id": 1})
    if outsider is not None:
        return Verdict(0, f"event {outsider['_id']} was inserted outside the chain", alg)
    for doc in store.audit.find({"_id": {"$gte": 1}}).sort("_id", 1):
        seq = doc.get("_id")
        if not isinstance(seq, int) or isinstance(seq, bool):
            return Verdict(count, f"event {seq} was inserted outside the chain", alg)
        if seq != expected:
            missing = f"{expected}" if seq == expected + 1 else f"{expected}-{seq - 1}"
            return Verdict(count, f"event {missing} is missing (deleted)", alg)
        if doc.get("alg") == HMAC_SHA256 and key is None:
            raise UsageError("the audit chain is signed; set HITL_AUDIT_KEY to verify it")
        if doc.get("alg") != alg:
            return Verdict(count, f"event {seq} was not signed with HITL_AUDIT_KEY", alg)
        if doc.get("prev") != prev_hash:
            return Verdict(count, f"event {seq} does not link to event {seq - 1} (inserted)", alg)
        if not hmac.compare_digest(str(doc.get("hash")), link_of(doc, key)):
            return Verdict(count, f"event {seq} was altered", alg)
        at = doc.get("at")
        if isinstance(at, datetime) and prev_at is not None and at < prev_at:
            return Verdict(count, f"event {seq} is back-dated before event {seq - 1}", alg)
        prev_hash, prev_at, expected, count = doc["hash"], at, expected + 1, count + 1
    head = (store.meta.find_one({"_id": HEAD_ID}) or {}).get("seq", 0)
    if head >= expected:
        missing = f"{expected}" if head == expected else f"{expected}-{head}"
        return Verdict(count, f"event {missing} is missing (deleted from the end)", alg)
    return Verdict(count, None, alg)


def broken_link(store: Store, entries: list[dict]) -> str | None:
    """A cheap check of the events on screen: each is intact and links to its predecessor."""
    key = audit_key(store)
    for entry in entries:
        doc = store.audit.find_one({"_id": entry.get("seq")})
        if doc is None:
            return "an event shown was deleted"
        if doc.get("alg") == HMAC_SHA256 and key is None:
            continue
        if not hmac.compare_digest(str(doc.get("hash")), link_of(doc, key)):
            return f"event {doc['_id']} was altered"
        if doc["_id"] > 1:
            before = store.audit.find_one({"_id": doc["_id"] - 1}, {"hash": 1})
            if before is None or before.get("hash") != doc.get("prev"):
                return f"the event before {doc['_id']} is missing or altered"
    return None


def history(store: Store, thread_id: str | None = None, limit: int = 200) -> list[dict]:
    """The newest `limit` events, oldest first."""
    query: dict = {"_id": {"$gte": 1}}
    if thread_id:
        query["thread_id"] = thread_id
    docs = store.audit.find(query).sort("_id", -1).limit(limit)
    return [as_json(d) for d in reversed(list(docs))]


def decisions(store: Store, thread_id: str | None = None, limit: int = 200) -> list[dict]:
    """How each attempt ended: one line per decision, the way an operator reads the trail."""
    return [
        e
        for e in history(store, thread_id, limit)
        if e["event"] in (STARTED, RESUMED, FAILED, ABANDONED, CLAIM_LOST)
    ]


def as_json(doc: dict) -> dict:
    out = {k: to_jsonable(v) for k, v in doc.items() if k != "_id"}
    out["seq"] = doc.get("_id")
    return out
