"""The operator's session without a screen: the claim's whole life against the real server,
including the adversarial moments (a second operator, a release mid-read, an answer from
elsewhere, an interrupted attempt, closing the console)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hitl_tui.console.session import OperatorSession, row_key
from hitl_tui.hitl import audit, claims
from hitl_tui.hitl.claims import InterruptedAttempt
from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.desk import Desk
from hitl_tui.hitl.kinds import APPROVE, RESPOND, Decision
from hitl_tui.hitl.resume import resume
from hitl_tui.hitl.snapshot import load_snapshot
from tests.conftest import done_effects

QUESTION = "How do I configure SSL certificates for nginx?"


@pytest.fixture
def session(hub) -> OperatorSession:
    return OperatorSession(Desk(hub))


def _read(session: OperatorSession):
    read = session.start_read()
    return session.apply(session.read_inbox(), read)


def _open_and_claim(session: OperatorSession, thread_id: str):
    _read(session)
    [key] = [k for k, item in session.latest.items() if item.thread_id == thread_id]
    ticket = session.open(key)
    assert session.claimed(session.take_claim(key))
    return ticket


def _held(hub, ticket) -> dict | None:
    return claims.claim_of(hub.store, ticket.thread_id, ticket.item.interrupt_id)


def test_new_tickets_are_announced_from_the_second_read_on(hub, session):
    ask(hub, QUESTION)
    assert _read(session).fresh_threads == []  # the first read shows what already waits
    later = ask(hub, "Please delete the customer database beta-staging")
    assert _read(session).fresh_threads == [later.thread_id]
    assert _read(session).fresh_threads == []


def test_a_backlog_shown_in_parts_is_not_announced_as_new(hub, session, monkeypatch):
    """Thousands of waiting tickets are listed a part at a time, all in one read; the parts
    that come after the first are the backlog, not news. What comes after it is."""
    monkeypatch.setattr("hitl_tui.hitl.inbox.PARTIAL_EVERY", 1)
    backlog = [ask(hub, f"waiting question {n}").thread_id for n in range(3)]
    parts: list[list[str]] = []
    read = session.start_read()

    def shown(items):
        parts.append([item.thread_id for item in items])
        assert session.apply(items, read, complete=False).fresh_threads == []

    items = session.read_inbox(decode_limit=10, on_partial=shown)
    assert sorted(map(len, parts)) == [1, 2] and all(set(p) <= set(backlog) for p in parts)
    assert session.apply(items, read).fresh_threads == []
    later = ask(hub, "asked once the backlog is listed").thread_id
    assert _read(session).fresh_threads == [later]


def test_opening_claims_and_a_second_operator_is_refused(hub, session):
    asked = ask(hub, QUESTION)
    ticket = _open_and_claim(session, asked.thread_id)
    assert ticket.claim is not None and _held(hub, ticket)["operator"] == "alice"
    bob = OperatorSession(Desk(hub))
    _read(bob)
    bob.open(ticket.key)
    outcome = bob.take_claim(ticket.key)
    assert outcome.claim is None and "alice" in outcome.error
    assert bob.claimed(outcome) and bob.ticket.claim is None and bob.ticket.claim_error


def test_a_claim_taken_while_a_read_ran_is_judged_only_by_a_later_read(hub, session):
    asked = ask(hub, QUESTION)
    _read(session)
    key = next(iter(session.latest))
    session.open(key)
    read = session.start_read()  # a read starts before the claim exists...
    items = session.read_inbox()
    assert session.claimed(session.take_claim(key))
    change = session.apply(items, read)  # ...and must not call the claim lost
    assert change.claim_lost is None and session.ticket.claim is not None
    assert _read(session).claim_lost is None  # a later read sees our claim
    claims.release_any(hub.store, asked.thread_id, session.ticket.item.interrupt_id, "bob")
    change = _read(session)
    assert change.claim_lost == "your claim was released by another operator"
    assert session.ticket.claim is None and session.ticket.claim_lost == change.claim_lost


def test_a_claim_taken_over_names_who_took_it(hub, session):
    asked = ask(hub, QUESTION)
    ticket = _open_and_claim(session, asked.thread_id)
    _read(session)
    interrupt_id = ticket.item.interrupt_id
    claims.release_any(hub.store, asked.thread_id, interrupt_id, "bob")
    claims.acquire(hub.store, asked.thread_id, interrupt_id, "bob", 60)
    assert _read(session).claim_lost == "your claim was taken over by bob"


def test_answered_elsewhere_closes_the_ticket_and_hands_back_its_claim(hub, session):
    asked = ask(hub, QUESTION)
    ticket = _open_and_claim(session, asked.thread_id)
    claims.release_any(hub.store, asked.thread_id, ticket.item.interrupt_id, "bob")
    resume(hub, asked.thread_id, Decision(RESPOND, text="Use certbot"), "bob")
    change = _read(session)
    assert change.answered_elsewhere is ticket and session.ticket is None
    assert change.to_release is ticket.claim


def test_a_claim_answered_after_its_ticket_closed_is_given_back(hub, session):
    asked = ask(hub, QUESTION)
    _read(session)
    key = next(iter(session.latest))
    session.open(key)
    outcome = session.take_claim(key)
    assert session.close() is None  # closed before the claim came back
    assert not session.claimed(outcome)
    assert session.release(outcome.claim)
    assert claims.claim_of(hub.store, asked.thread_id, key.split("\x1f")[1]) is None


def test_renewing_pushes_the_lease_out_and_giving_back_frees_it(hub, session):
    asked = ask(hub, QUESTION)
    ticket = _open_and_claim(session, asked.thread_id)
    soon = datetime.now(UTC) + timedelta(seconds=5)
    hub.store.claims.update_one({"token": ticket.claim.token}, {"$set": {"expires_at": soon}})
    assert session.renew(session.claim_to_renew())
    assert _held(hub, ticket)["expires_at"] > soon + timedelta(seconds=30)
    claim = session.give_back(ticket.key)
    assert session.release(claim) and _held(hub, ticket) is None
    assert session.give_back(ticket.key) is None and session.claim_to_renew() is None


def test_a_decision_spends_the_claim(hub, session):
    asked = ask(hub, "Please delete the customer database beta-staging")
    ticket = _open_and_claim(session, asked.thread_id)
    assert session.claim_to_renew() is not None
    session.start_sending()
    assert session.claim_to_renew() is None  # the resume owns the claim now
    assert session.release_on_close() is None
    result = session.decide(ticket, Decision(APPROVE))
    session.sent(ticket.key, answered=True)
    assert not result.still_pending and ticket.claim is None and not session.sending
    assert done_effects(hub) == ["delete_customer_database"]
    messages = load_snapshot(hub.store, asked.thread_id).messages
    assert [m.content for m in messages if m.type == "tool"] == [
        "The database beta-staging was deleted."
    ]


def test_an_interrupted_attempt_is_taken_over_only_when_forced(hub, session):
    asked = ask(hub, QUESTION)
    _read(session)
    [item] = session.latest.values()
    dead = claims.acquire(hub.store, asked.thread_id, item.interrupt_id, "carol", 60)
    assert claims.start_resuming(hub.store, dead, RESPOND, 60)
    stopped = datetime.now(UTC) - timedelta(seconds=1)  # carol's heartbeat stopped
    hub.store.claims.update_one({"token": dead.token}, {"$set": {"expires_at": stopped}})
    _read(session)
    ticket = session.open(row_key(item))
    assert session.claimed(session.take_claim(ticket.key)) and ticket.claim is None
    answer = Decision(RESPOND, text="Use certbot")
    with pytest.raises(InterruptedAttempt):
        session.decide(ticket, answer)
    assert _read(session).answered_elsewhere is None  # nothing was sent
    session.decide(ticket, answer, force=True)
    assert _read(session).answered_elsewhere is ticket
    events = [e["event"] for e in audit.history(hub.store, asked.thread_id)]
    assert "forced" in events and events[-1] == "resumed"


def test_closing_the_console_gives_the_claim_back_from_a_thread(hub, session):
    asked = ask(hub, QUESTION)
    ticket = _open_and_claim(session, asked.thread_id)
    releasing = session.release_on_close()
    assert releasing is not None and session.ticket is None
    releasing.join(10)
    assert not releasing.is_alive() and _held(hub, ticket) is None
    assert session.release_on_close() is None  # nothing left to give back
