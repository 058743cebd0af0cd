"""What one operator has in hand: the inbox as last read, the opened ticket and its claim.

Plain Python over the Desk, no widgets, so the claim's whole life (taken on opening, renewed,
given back, lost to someone else, spent by the answer, taken over from an interrupted
attempt) is tested without a screen. State changes happen on the caller's thread; the
methods marked "Calls the database" touch no state, so the console runs them in workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hitl_tui.console.ticket import OpenTicket
from hitl_tui.errors import ConflictError
from hitl_tui.hitl.sla import ranked

SEPARATOR = "\x1f"


def row_key(item: Any) -> str:
    """One ticket: a thread and one of its interrupts."""
    return f"{item.thread_id}{SEPARATOR}{item.interrupt_id}"


def split_key(key: str) -> tuple[str, str]:
    thread_id, _, interrupt_id = key.partition(SEPARATOR)
    return thread_id, interrupt_id


@dataclass
class InboxChange:
    """What a new read of the inbox means for the operator."""

    fresh_threads: list[str] = field(default_factory=list)  # tickets new since the last read
    answered_elsewhere: OpenTicket | None = None  # the open ticket went: it is closed now
    to_release: Any = None  # the closed ticket's claim, for the caller to `release`
    claim_lost: str | None = None  # why our claim on the open ticket just went


@dataclass
class Claimed:
    """The answer to taking a ticket's claim: the claim, or who holds it instead."""

    key: str
    claim: Any
    error: str | None


class OperatorSession:
    def __init__(self, desk: Any) -> None:
        self.desk = desk
        self.latest: dict[str, Any] = {}  # every pending ticket, whatever a filter shows
        self.ticket: OpenTicket | None = None
        self.sending = False  # a decision on the open ticket is on its way
        self._known: set[str] | None = None
        self._backlog = False  # the last read left tickets to decode: they are not new
        self._reads = 0

    @property
    def items(self) -> list[Any]:
        return list(self.latest.values())

    # -- the inbox ----------------------------------------------------------------------
    def start_read(self) -> int:
        """Number the next read, so a claim taken meanwhile is not judged by it."""
        self._reads += 1
        return self._reads

    def read_inbox(
        self, decode_limit: int | None = None, on_partial: Callable[[list[Any]], None] | None = None
    ) -> list[Any]:
        """Calls the database: every pending ticket, most urgent first; `on_partial` is
        given the list so far while a long read goes on."""
        policy = self.desk.settings.sla_policy
        partial = None if on_partial is None else lambda items: on_partial(ranked(items, policy))
        return ranked(self.desk.pending(decode_limit=decode_limit, on_partial=partial), policy)

    def apply(self, items: list[Any], read: int, complete: bool = True) -> InboxChange:
        """Take in what read number `read` found, and keep the open ticket truthful: closed
        when answered elsewhere, its claim as the database sees it. Tickets that come in
        while a backlog is still being decoded (`complete` False) are not news."""
        self.latest = {row_key(item): item for item in items}
        keys = set(self.latest)
        news = self._known is not None and not self._backlog
        fresh = keys - self._known if news else set()
        self._known = keys
        self._backlog = not complete
        change = InboxChange(sorted({split_key(key)[0] for key in fresh}))
        ticket = self.ticket
        if ticket is None:
            return change
        item = self.latest.get(ticket.key)
        if item is None:
            if not self.sending:
                change.answered_elsewhere = ticket
                change.to_release = self.close()
            return change
        ticket.item = item
        judged = ticket.claim_read is not None and read > ticket.claim_read
        if ticket.claim is not None and judged and not self.sending:
            if item.claimed_by != self.desk.operator:
                ticket.claim = None
                ticket.claim_lost = change.claim_lost = (
                    f"your claim was taken over by {item.claimed_by}"
                    if item.claimed_by
                    else "your claim was released by another operator"
                )
        return change

    def read_detail(self, key: str, decisions: int = 20) -> tuple[Any, list[dict]]:
        """Calls the database: the ticket's thread as stored, and its last decisions."""
        thread_id = split_key(key)[0]
        snapshot = self.desk.snapshot(thread_id)
        return snapshot, self.desk.decided(thread_id, limit=2 * decisions)[-decisions:]

    # -- the open ticket ------------------------------------------------------------------
    def open(self, key: str) -> OpenTicket | None:
        """Open the ticket (its claim is taken next, by `take_claim`); None when it is gone
        or a decision is on its way."""
        item = self.latest.get(key)
        if item is None or self.sending:
            return None
        self.ticket = OpenTicket(key, item)
        return self.ticket

    def is_open(self, key: str) -> bool:
        return self.ticket is not None and self.ticket.key == key

    def holds_claim(self, key: str) -> bool:
        return self.is_open(key) and self.ticket.claim is not None

    def close(self) -> Any:
        """Forget the open ticket; returns its claim, for the caller to `release`."""
        ticket, self.ticket = self.ticket, None
        return ticket.claim if ticket is not None else None

    def take_claim(self, key: str) -> Claimed:
        """Calls the database: claim the ticket `key`, or learn who holds it."""
        try:
            claim = self.desk.claim(*split_key(key))
        except ConflictError as error:
            return Claimed(key, None, str(error))
        return Claimed(key, claim, None)

    def claimed(self, outcome: Claimed) -> bool:
        """Record the claim on the open ticket. False when that ticket closed meanwhile: the
        caller gives the claim back."""
        if not self.is_open(outcome.key):
            return False
        ticket = self.ticket
        ticket.claim, ticket.claim_error, ticket.claim_lost = outcome.claim, outcome.error, None
        ticket.claim_read = self._reads
        return True

    def claim_to_renew(self) -> Any:
        """The claim a renewal keeps alive: none while a decision is on its way."""
        if self.ticket is None or self.sending:
            return None
        return self.ticket.claim

    def give_back(self, key: str) -> Any:
        """The operator gives back the open ticket's claim; returns it, for `release`."""
        if not self.holds_claim(key):
            return None
        claim, self.ticket.claim = self.ticket.claim, None
        return claim

    def renew(self, claim: Any) -> bool:
        """Calls the database."""
        return self.desk.renew(claim)

    def release(self, claim: Any) -> bool:
        """Calls the database."""
        return self.desk.release(claim)

    def release_any(self, key: str) -> bool:
        """Calls the database: free whoever's claim on `key`, as this operator (audited)."""
        return self.desk.release_any(*split_key(key))

    # -- deciding -------------------------------------------------------------------------
    def start_sending(self) -> OpenTicket:
        self.sending = True
        return self.ticket

    def decide(self, ticket: OpenTicket, decision: Any, force: bool = False) -> Any:
        """Calls the database and runs the graph: send `decision` under the ticket's claim;
        `force` takes over an interrupted attempt."""
        item = ticket.item
        return self.desk.decide(
            item.thread_id, decision, interrupt_id=item.interrupt_id, claim=ticket.claim,
            force=force,
        )

    def sent(self, key: str, answered: bool) -> None:
        """The decision came back; when it was `answered`, the claim is spent."""
        self.sending = False
        if answered and self.is_open(key):
            self.ticket.claim = None

    # -- closing the console -----------------------------------------------------------------
    def release_on_close(self) -> threading.Thread | None:
        """Give back our claim when the console closes, so our own `resume` and other
        operators are not kept waiting for the lease to run out. The release runs in a
        thread of its own, for the caller to wait on as long as it can afford; if it never
        finishes, the lease runs out on its own. None when there is nothing to give back
        (a decision on its way owns the claim)."""
        if self.ticket is None or self.ticket.claim is None or self.sending:
            return None
        claim = self.close()

        def release() -> None:
            try:
                self.desk.release(claim)
            except Exception:  # noqa: BLE001 (closing: the lease runs out on its own)
                pass

        thread = threading.Thread(target=release, name="hitl-release-claim", daemon=True)
        thread.start()
        return thread
