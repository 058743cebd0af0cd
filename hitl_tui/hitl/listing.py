"""A plain listing of the oldest open tickets, kept on their inbox entries.

Decoding a ticket needs LangGraph's serializer, and importing it loads langchain-core: most
of a console's cold start. So whichever process decodes a ticket writes a few plain fields
(kind, one-line summary, age) on its `hitl_inbox` entry, for the oldest `LISTED_OLDEST`
open tickets, a screenful and more. A console paints those at once, before LangGraph is
loaded, and replaces them with the decoded tickets a moment later.

Nothing is listed where checkpoints are encrypted: a listing is plain text, and would
keep in the clear what the graph's serializer encrypts at rest.

A listing is a preview and nothing more: no decision is taken on it (the console opens
decoded tickets only), a stale or forged one lasts until the decoded inbox replaces it,
and its text is data like any other, shown through the one sanitizer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bson.errors import InvalidBSON

from hitl_tui.errors import UsageError
from hitl_tui.hitl.kinds import kind_named
from hitl_tui.hitl.store import Store, validate_thread_id
from hitl_tui.hitl.ticket_row import TicketRow

LISTED_OLDEST = 100  # open tickets kept listed, oldest first
PER_ENTRY = 20  # tickets shown of one entry (one checkpoint's parallel interrupts)
SUMMARY_CHARS = 200  # a listing's summary is one table cell, never a payload
UNSUMMARISABLE = "(cannot summarise this payload)"


@dataclass(kw_only=True)
class ListedTicket(TicketRow):
    """A ticket as its listing shows it: enough for an inbox row, nothing to decide on."""

    summary: str


def summary_of(item: Any) -> str:
    """The ticket in one line, as its kind words it; a payload the kind cannot read is
    said to be so, never a crash."""
    if isinstance(item, ListedTicket):
        return item.summary
    try:
        return kind_named(item.kind).summary(item.value)
    except Exception:
        return UNSUMMARISABLE


def may_list(store: Store) -> bool:
    """Whether listings may be written: only where checkpoints are read with LangGraph's
    plain serializer. Not with `EncryptedSerializer`, nor with a serializer of a graph's
    own, which may encrypt in a way of its own."""
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    return isinstance(store.reader, JsonPlusSerializer)


def listing_of(pending: list[Any]) -> list[dict]:
    """What an entry keeps of its decoded tickets (see `fingerprint`)."""
    return [
        {
            "interrupt_id": item.interrupt_id,
            "kind": item.kind,
            "summary": summary_of(item)[:SUMMARY_CHARS],
            "created_at": item.created_at,
        }
        for item in pending
    ]


def fingerprint(listing: list[dict]) -> str:
    """What an entry's `listed` field holds: a listing is written again only when this
    changes (another decode, another graph's kinds), not on every refresh."""
    text = json.dumps(listing, default=str, sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def read_listed(store: Store) -> list[ListedTicket]:
    """The listed open tickets of the oldest listed entries, oldest first, each once.
    Entries written by anyone but hitl-tui (a wrong type, a missing field, an unusable
    thread id, a date out of range, a ticket twice) are left out, never a crash."""
    found = store.inbox.find(  # served by the sparse index on `listed`
        {"listed": {"$exists": True}, "state": "open"},
        {"thread_id": 1, "checkpoint_id": 1, "listing": 1},
    )
    try:
        entries = list(found.sort("checkpoint_id", 1).limit(LISTED_OLDEST))
    except InvalidBSON:  # a date the driver cannot represent: nothing to preview
        return []
    tickets = {}
    for entry in entries:
        for ticket in _tickets_of(entry):
            tickets.setdefault((ticket.thread_id, ticket.interrupt_id), ticket)
    return sorted(tickets.values(), key=lambda t: (t.checkpoint_id, t.thread_id, t.interrupt_id))


def _tickets_of(entry: dict) -> list[ListedTicket]:
    thread_id, checkpoint_id, listing = (
        entry.get(k) for k in ("thread_id", "checkpoint_id", "listing")
    )
    try:
        validate_thread_id(thread_id)
    except UsageError:
        return []
    if not isinstance(checkpoint_id, str) or not isinstance(listing, list):
        return []
    tickets = []
    for shown in listing[:PER_ENTRY]:
        if not isinstance(shown, dict):
            continue
        interrupt_id, kind, summary, created_at = (
            shown.get(k) for k in ("interrupt_id", "kind", "summary", "created_at")
        )
        if not all(isinstance(v, str) for v in (interrupt_id, kind, summary)):
            continue
        if len(interrupt_id) > SUMMARY_CHARS or len(kind) > SUMMARY_CHARS:
            continue
        if not isinstance(created_at, datetime):
            continue
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=UTC)
        tickets.append(
            ListedTicket(
                thread_id=thread_id,
                interrupt_id=interrupt_id,
                kind=kind,
                summary=summary[:SUMMARY_CHARS],
                created_at=created_at,
                checkpoint_id=checkpoint_id,
            )
        )
    return tickets
