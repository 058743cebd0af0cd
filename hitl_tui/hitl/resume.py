"""The operator's side: answer one pending interrupt, safely.

Order matters: claim (so exactly one operator proceeds), check the interrupt is still
pending, record the decision, resume, record the outcome. A failed resume releases the
claim and is audited as failed, so the ticket is visibly pending again, never lost.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langgraph.types import Command
from pymongo.errors import ConnectionFailure, PyMongoError

from hitl_tui.errors import (
    ConflictError,
    DatabaseUnavailable,
    HitlError,
    NotFoundError,
    UsageError,
)
from hitl_tui.hitl import audit, claims
from hitl_tui.hitl.conversation import last_answer, messages_in_update
from hitl_tui.hitl.graph_runner import run_graph, update_state
from hitl_tui.hitl.kinds import CONTINUE, Decision, build_resume_value
from hitl_tui.hitl.runtime import Hub
from hitl_tui.hitl.snapshot import PendingInterrupt, load_snapshot
from hitl_tui.hitl.store import validate_thread_id

MAX_PAYLOAD_BYTES = 15 * 1024 * 1024  # below MongoDB's 16 MB document limit, with room


@dataclass
class ResumeResult:
    thread_id: str
    interrupt_id: str
    answer: str | None
    still_pending: list[PendingInterrupt] = field(default_factory=list)
    checkpoint_after: str | None = None

    def as_json(self) -> dict:
        return {
            "thread_id": self.thread_id,
            "interrupt_id": self.interrupt_id,
            "status": "waiting" if self.still_pending else "answered",
            "answer": self.answer,
            "pending": [p.as_json() for p in self.still_pending],
        }


def pending_target(hub: Hub, thread_id: str, interrupt_id: str | None) -> PendingInterrupt:
    """The interrupt to answer: the only one, or the one named."""
    validate_thread_id(thread_id)
    snapshot = load_snapshot(hub.store, thread_id)
    if snapshot is None:
        raise NotFoundError(f"thread {thread_id} not found")
    if not snapshot.pending and hub.graph_spec and hub.store.breakpoints is None:
        hub.graph  # its breakpoints tell whether the thread stopped at one  # noqa: B018
        snapshot = load_snapshot(hub.store, thread_id) or snapshot
    if not snapshot.pending:
        answered = claims.last_answered(hub.store, thread_id)
        if answered is not None and interrupt_id in (None, answered["interrupt_id"]):
            raise ConflictError(f"thread {thread_id}: {claims.conflict_message(answered)}")
        raise NotFoundError(f"thread {thread_id} has nothing pending")
    if interrupt_id is None:
        if len(snapshot.pending) > 1:
            ids = ", ".join(p.interrupt_id for p in snapshot.pending)
            raise UsageError(
                f"thread {thread_id} has {len(snapshot.pending)} pending interrupts; "
                f"choose one with --interrupt ({ids})"
            )
        return snapshot.pending[0]
    for item in snapshot.pending:
        if item.interrupt_id == interrupt_id:
            return item
    done = claims.claim_of(hub.store, thread_id, interrupt_id)
    if done and done.get("state") == claims.DONE:
        raise ConflictError(claims.conflict_message(done))
    raise NotFoundError(f"interrupt {interrupt_id} is not pending in thread {thread_id}")


def resume_value_for(item: PendingInterrupt, decision: Decision, hub: Hub | None = None) -> Any:
    """The exact resume value, checked against the graph's own schemas when `hub` is given."""
    value = build_resume_value(item, decision, hub.tool_schemas if hub is not None else None)
    _check_size(value)
    if decision.action == CONTINUE:
        _check_size(decision.value)
    return value


def resume(
    hub: Hub,
    thread_id: str,
    decision: Decision,
    operator: str,
    interrupt_id: str | None = None,
    on_message: Callable[[Any], None] | None = None,
    claim: claims.Claim | None = None,
) -> ResumeResult:
    """Answer one interrupt of `thread_id` and run the graph to its next stop.

    `claim` is one the caller took earlier (the console claims a ticket when it is
    opened); without it a claim is taken here.
    """
    target = pending_target(hub, thread_id, interrupt_id)
    value = resume_value_for(target, decision, hub)
    _check_graph_fits(hub, target)
    if claim is None or claim.interrupt_id != target.interrupt_id:
        claim = claims.acquire(
            hub.store, thread_id, target.interrupt_id, operator, hub.settings.claim_seconds
        )
    elif not claims.renew(hub.store, claim, hub.settings.claim_seconds):
        current = claims.claim_of(hub.store, thread_id, target.interrupt_id)
        raise ConflictError(claims.conflict_message(current))
    try:
        return _resume_claimed(hub, target, decision, value, operator, claim, on_message)
    except BaseException:
        with contextlib.suppress(PyMongoError):  # the database may be the reason we failed
            claims.release(hub.store, claim)
        raise


def _resume_claimed(
    hub: Hub,
    target: PendingInterrupt,
    decision: Decision,
    value: Any,
    operator: str,
    claim: claims.Claim,
    on_message: Callable[[Any], None] | None,
) -> ResumeResult:
    # Between our look and our claim another operator may have finished: look again.
    fresh = load_snapshot(hub.store, target.thread_id)
    still = fresh and any(p.interrupt_id == target.interrupt_id for p in fresh.pending)
    if not still:
        previous = claims.claim_of(hub.store, target.thread_id, target.interrupt_id)
        raise ConflictError(
            f"interrupt {target.interrupt_id} of thread {target.thread_id} was answered already"
            + (
                f" ({claims.conflict_message(previous)})"
                if previous and previous.get("state") == claims.DONE
                else ""
            )
        )
    claims.mark(hub.store, claim, claims.RESUMING)
    entry = audit.record_start(
        hub.store,
        operator=operator,
        thread_id=target.thread_id,
        interrupt_id=target.interrupt_id,
        kind=target.kind,
        decision={
            "action": decision.action,
            "text": decision.text,
            "args": decision.args,
            "value": decision.value,
        },
        resume_value=value,
        checkpoint_before=fresh.checkpoint_id,
    )
    several = len(fresh.pending) > 1
    config = {"configurable": {"thread_id": target.thread_id}}

    def show(update: Any) -> None:
        if on_message is not None:
            for message in messages_in_update(update):
                on_message(message)

    try:
        if decision.action == CONTINUE:  # a static breakpoint: run on, maybe with new state
            if decision.value is not None:
                update_state(hub.graph, config, decision.value)
            run_graph(hub.graph, None, config, show)
        else:
            command = Command(resume={target.interrupt_id: value} if several else value)
            run_graph(hub.graph, command, config, show)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
        with contextlib.suppress(PyMongoError):
            audit.record_end(hub.store, entry, audit.FAILED, error=reason)
        if isinstance(error, ConnectionFailure):
            raise DatabaseUnavailable(
                f"lost the database while resuming thread {target.thread_id} "
                f"({type(error).__name__}); the ticket stays pending until its claim expires"
            ) from error
        raise ResumeFailed(f"resuming thread {target.thread_id} failed: {reason}") from error
    after = load_snapshot(hub.store, target.thread_id)
    claims.mark(hub.store, claim, claims.DONE)
    audit.record_end(
        hub.store, entry, audit.RESUMED, checkpoint_after=after.checkpoint_id if after else None
    )
    return ResumeResult(
        thread_id=target.thread_id,
        interrupt_id=target.interrupt_id,
        answer=last_answer(after.messages) if after and not after.pending else None,
        still_pending=after.pending if after else [],
        checkpoint_after=after.checkpoint_id if after else None,
    )


class ResumeFailed(HitlError):
    """The graph raised while resuming; the ticket stays pending."""

    exit_code = 1


def _check_graph_fits(hub: Hub, target: PendingInterrupt) -> None:
    """Refuse to resume a thread with a graph that lacks the interrupted node."""
    nodes = getattr(hub.graph, "nodes", {}) or {}
    if target.node != "?" and target.node not in nodes:
        hint = "pass --graph MODULE_OR_FILE:ATTR" if hub.uses_builtin_graph else "check --graph"
        raise UsageError(
            f"thread {target.thread_id} was written by another graph "
            f"(its node {target.node!r} is not in this one); {hint}"
        )


def _check_size(value: Any) -> None:
    from hitl_tui.hitl.jsonsafe import dumps

    size = len(dumps(value).encode())
    if size > MAX_PAYLOAD_BYTES:
        raise UsageError(
            f"the answer is {size / 1e6:.1f} MB; MongoDB stores at most 16 MB per document"
        )
