"""On-call events, recorded once per ticket in MongoDB so every watcher agrees on them.

A detection pass compares what is pending now with what was announced before:

- `new`: a pending interrupt not announced yet;
- `overdue`: an announced ticket past its `HITL_SLA` deadline;
- `answered`: an announced ticket that is no longer pending.

Each event has a deterministic `_id` (its type and ticket), so any number of watchers
running the same pass, or one watcher restarted after `kill -9`, record it exactly once.
The event is inserted *before* the ticket's flag that says it was recorded: a crash in
between makes the next pass insert it again, which is a no-op.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.errors import DuplicateKeyError

from hitl_tui.hitl import audit
from hitl_tui.hitl.claims import last_answered
from hitl_tui.hitl.jsonsafe import to_jsonable
from hitl_tui.hitl.listing import summary_of
from hitl_tui.hitl.safe_text import one_line, visible
from hitl_tui.hitl.store import Store

NEW, OVERDUE, ANSWERED = "new", "overdue", "answered"
INTERRUPTED_ATTEMPT, CLAIM_LOST = "interrupted_attempt", "claim_lost"
EVENT_TYPES = (NEW, OVERDUE, ANSWERED, INTERRUPTED_ATTEMPT, CLAIM_LOST)
COLLECTION = "hitl_events"
AUDIT_MARK = "watch:audit"


def events_of(store: Store) -> Any:
    return store.db[COLLECTION]


def ensure_indexes(store: Store) -> None:
    events = events_of(store)
    events.create_index([("recorded_at", ASCENDING), ("_id", ASCENDING)])
    events.create_index([("type", ASCENDING), ("open", ASCENDING)])


def event_id(kind: str, thread_id: str, interrupt_id: str, attempt: str = "") -> str:
    """Stable across processes and restarts; receivers may use it to drop a repeat.
    `attempt` tells two interrupted or lost attempts on one ticket apart."""
    parts = [kind, thread_id, interrupt_id, attempt] if attempt else [kind, thread_id, interrupt_id]
    key = json.dumps(parts).encode()
    return hashlib.sha256(key).hexdigest()[:32]


def _summary(item: Any) -> str:
    return one_line(summary_of(item), 200)


def _slack_escape(text: str) -> str:
    """Slack and Mattermost read `<!channel>` and `<url|label>` as commands: show them."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


HEADLINES = {
    NEW: "needs a human",
    OVERDUE: "is overdue",
    ANSWERED: "was answered",
    INTERRUPTED_ATTEMPT: "has an interrupted attempt",
    CLAIM_LOST: "had a claim lost",
}


def build_event(
    kind: str,
    ticket: dict,
    now: datetime,
    operator: str | None = None,
    attempt: str = "",
) -> dict:
    """The event as it is delivered (see the README's event schema)."""
    who = f" by {operator}" if operator else ""
    text = (
        f"[hitl] {ticket['kind']} ticket {ticket['thread_id']} {HEADLINES[kind]}{who}: "
        f"{ticket['summary']}"
    )
    return {
        "id": event_id(kind, ticket["thread_id"], ticket["interrupt_id"], attempt),
        "type": kind,
        "at": now.isoformat(),
        "thread_id": ticket["thread_id"],
        "interrupt_id": ticket["interrupt_id"],
        "kind": ticket["kind"],
        "summary": ticket["summary"],
        "created_at": ticket["created_at"],
        "due_at": ticket["due_at"],
        "operator": operator,
        "text": _slack_escape(visible(one_line(text, 400))),
    }


def ticket_of(item: Any) -> dict:
    """What an event says about its ticket: plain JSON, sanitised text."""
    due = getattr(item, "due_at", None)
    return {
        "thread_id": item.thread_id,
        "interrupt_id": item.interrupt_id,
        "kind": item.kind,
        "summary": _summary(item),
        "created_at": to_jsonable(item.created_at),
        "due_at": due.isoformat() if due else None,
    }


def record(
    store: Store, kind: str, ticket: dict, operator: str | None = None, attempt: str = ""
) -> bool:
    """Insert the event unless it exists; True if this call recorded it."""
    now = datetime.now(UTC)
    event = build_event(kind, ticket, now, operator, attempt)
    doc = {
        "_id": event["id"],
        "type": kind,
        "recorded_at": now,
        "event": event,
        "delivery": {},
    }
    if kind == NEW:
        doc["open"] = True
    try:
        events_of(store).insert_one(doc)
        return True
    except DuplicateKeyError:
        return False


def detect(store: Store, items: Iterable[Any], now: datetime | None = None) -> int:
    """Record what changed since the last pass (of any watcher); returns how many events."""
    now = now or datetime.now(UTC)
    events = events_of(store)
    items = list(items)
    announced = {
        doc["_id"]: doc
        for doc in events.find({"type": NEW, "open": True}, {"event": 1, "overdue_recorded": 1})
    }
    recorded = 0
    pending_ids = set()
    for item in items:
        new_id = event_id(NEW, item.thread_id, item.interrupt_id)
        pending_ids.add(new_id)
        ticket = None
        if new_id not in announced:
            ticket = ticket_of(item)
            recorded += record(store, NEW, ticket)
        due = getattr(item, "due_at", None)
        if due is not None and now >= due and not announced.get(new_id, {}).get("overdue_recorded"):
            ticket = ticket or ticket_of(item)
            recorded += record(store, OVERDUE, ticket)
            events.update_one({"_id": new_id}, {"$set": {"overdue_recorded": True}})
        attempt = getattr(item, "interrupted_attempt", None)
        if isinstance(attempt, dict):
            recorded += record(
                store,
                INTERRUPTED_ATTEMPT,
                ticket or ticket_of(item),
                str(attempt.get("operator") or "") or None,
                attempt=str(attempt.get("started_at") or "?"),
            )
    gone = [doc for key, doc in announced.items() if key not in pending_ids]
    for doc in gone:
        ticket = doc["event"]
        claim = last_answered(store, ticket["thread_id"])
        operator = (
            claim.get("operator")
            if claim and claim.get("interrupt_id") == ticket["interrupt_id"]
            else None
        )
        recorded += record(store, ANSWERED, ticket, operator)
    if gone:
        events.bulk_write(
            [UpdateOne({"_id": doc["_id"]}, {"$set": {"open": False}}) for doc in gone],
            ordered=False,
        )
    return recorded + _claim_losses(store, items, announced)


def _claim_losses(store: Store, items: list[Any], announced: dict[str, dict]) -> int:
    """A `claim_lost` event per audit entry that says a resumer lost its claim.

    The audit is a chain numbered 1, 2, 3… (`_id`), each number written only after the one
    before it is visible, so a mark of the highest number read never skips an entry. The
    first look at a database starts at its current end: old losses are history, not news.
    """
    head = store.audit.find_one({"_id": {"$type": "number"}}, {"_id": 1}, sort=[("_id", -1)])
    if head is None:
        return 0
    store.meta.update_one({"_id": AUDIT_MARK}, {"$setOnInsert": {"seq": head["_id"]}}, upsert=True)
    mark = (store.meta.find_one({"_id": AUDIT_MARK}) or {}).get("seq", head["_id"])
    if head["_id"] <= mark:
        return 0
    by_ticket = {(item.thread_id, item.interrupt_id): item for item in items}
    recorded = 0
    for entry in store.audit.find(
        {"_id": {"$gt": mark, "$lte": head["_id"]}, "event": audit.CLAIM_LOST}
    ).sort("_id", 1):
        thread_id, interrupt_id = str(entry.get("thread_id")), str(entry.get("interrupt_id"))
        item = by_ticket.get((thread_id, interrupt_id))
        known = announced.get(event_id(NEW, thread_id, interrupt_id), {}).get("event")
        ticket = ticket_of(item) if item is not None else known or _bare_ticket(entry)
        recorded += record(
            store,
            CLAIM_LOST,
            ticket,
            str(entry.get("operator") or "") or None,
            attempt=str(entry.get("attempt") or entry["_id"]),
        )
    store.meta.update_one({"_id": AUDIT_MARK}, {"$max": {"seq": head["_id"]}})
    return recorded


def _bare_ticket(entry: dict) -> dict:
    """What the audit alone says about a ticket that is no longer pending."""
    return {
        "thread_id": str(entry.get("thread_id")),
        "interrupt_id": str(entry.get("interrupt_id")),
        "kind": str(entry.get("kind") or "unknown"),
        "summary": one_line(entry.get("error") or "", 200),
        "created_at": None,
        "due_at": None,
    }


def next_deadline(items: Iterable[Any], now: datetime) -> datetime | None:
    """The earliest deadline still ahead, so a watcher wakes for it."""
    ahead = [d for item in items if (d := getattr(item, "due_at", None)) and d > now]
    return min(ahead, default=None)
