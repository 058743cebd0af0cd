"""The operator's side: answer one pending interrupt, safely.

Order matters: claim (so exactly one operator proceeds), check the interrupt is still
pending, mark the claim as a running attempt, record the decision, resume while a
heartbeat keeps the claim alive, check the interrupt is gone, record the outcome. A
resume that failed or answered nothing releases the claim and is audited as failed, so
the ticket is visibly pending again, never lost.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langgraph.types import Command
from pymongo.errors import ConnectionFailure, DocumentTooLarge, PyMongoError

from hitl_tui.errors import (
    ConflictError,
    DatabaseUnavailable,
    HitlError,
    NotFoundError,
    UsageError,
)
from hitl_tui.hitl import audit, claims
from hitl_tui.hitl.conversation import last_answer, messages_in_update, thread
from hitl_tui.hitl.graph_runner import run_graph, update_state
from hitl_tui.hitl.heartbeat import Heartbeat
from hitl_tui.hitl.identity import validate_operator
from hitl_tui.hitl.jsonsafe import check_finite, dumps, to_jsonable
from hitl_tui.hitl.kinds import CONTINUE, Decision, build_resume_value
from hitl_tui.hitl.runtime import Runtime
from hitl_tui.hitl.snapshot import PendingInterrupt, load_snapshot

MAX_ANSWER_BYTES = 7_500_000  # twice this, plus the state around it, under 16 MB


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


def pending_target(hub: Runtime, thread_id: str, interrupt_id: str | None) -> PendingInterrupt:
    """The interrupt to answer: the only one, or the one named."""
    snapshot = thread(hub, thread_id)
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


def resume_value_for(item: PendingInterrupt, decision: Decision, hub: Runtime | None = None) -> Any:
    """The exact resume value, checked against the graph's own schemas when `hub` is given."""
    value = build_resume_value(item, decision, hub.tool_schemas if hub is not None else None)
    _check_size(value)
    if decision.action == CONTINUE:
        _check_size(decision.value)
    return value


def resume(
    hub: Runtime,
    thread_id: str,
    decision: Decision,
    operator: str,
    interrupt_id: str | None = None,
    on_message: Callable[[Any], None] | None = None,
    claim: claims.Claim | None = None,
    force: bool = False,
) -> ResumeResult:
    """Answer one interrupt of `thread_id` and run the graph to its next stop.

    `claim` is one the caller took earlier (the console claims a ticket when it is
    opened); without it a claim is taken here. `force` takes over an interrupted attempt.
    """
    validate_operator(operator)
    target = pending_target(hub, thread_id, interrupt_id)
    value = resume_value_for(target, decision, hub)
    _check_graph_fits(hub, target)
    lease = hub.settings.claim_seconds
    if claim is None or claim.interrupt_id != target.interrupt_id:
        claim = claims.acquire(
            hub.store, thread_id, target.interrupt_id, operator, lease, force=force
        )
    elif not claims.renew(hub.store, claim, lease):
        current = claims.claim_of(hub.store, thread_id, target.interrupt_id)
        raise ConflictError(claims.conflict_message(current))
    try:
        return _resume_claimed(hub, target, decision, value, operator, claim, on_message)
    except BaseException as error:
        with contextlib.suppress(PyMongoError):  # the database may be the reason we failed
            claims.release(hub.store, claim, why=_one_line(error))
        raise


def _resume_claimed(
    hub: Runtime,
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
    lease = hub.settings.claim_seconds
    where = {
        "thread_id": target.thread_id,
        "interrupt_id": target.interrupt_id,
        "attempt": claim.token,
    }
    if not claims.start_resuming(hub.store, claim, decision.action, lease):
        current = claims.claim_of(hub.store, target.thread_id, target.interrupt_id)
        audit.append(
            hub.store,
            audit.CLAIM_LOST,
            operator=operator,
            **where,
            error="lost the claim before resuming",
        )
        raise ConflictError(f"lost the claim before resuming: {claims.conflict_message(current)}")
    audit.append(
        hub.store,
        audit.STARTED,
        operator=operator,
        **where,
        kind=target.kind,
        decision={"action": decision.action},
        payload=value,
        checkpoint_before=fresh.checkpoint_id,
    )
    several = len(fresh.pending) > 1
    config = {"configurable": {"thread_id": target.thread_id}}
    warnings = _GraphWarnings()

    def claim_lost() -> None:  # audited the moment the heartbeat finds out
        with contextlib.suppress(PyMongoError):
            current = claims.claim_of(hub.store, target.thread_id, target.interrupt_id)
            audit.append(
                hub.store,
                audit.CLAIM_LOST,
                operator=operator,
                **where,
                error=f"the claim was lost while the graph ran ({_taken_by(current)})",
            )

    beat = Heartbeat(hub.store, claim, lease, on_lost=claim_lost)

    def show(update: Any) -> None:
        if on_message is not None:
            for message in messages_in_update(update):
                on_message(message)
        if beat.lost.is_set():
            raise _ClaimLost  # someone took the ticket: no further step with effects

    try:
        with beat, warnings:
            if decision.action == CONTINUE:  # a static breakpoint: run on, maybe with new state
                if decision.value is not None:
                    update_state(hub.graph, config, decision.value)
                run_graph(hub.graph, None, config, show)
            else:
                command = Command(resume={target.interrupt_id: value} if several else value)
                run_graph(hub.graph, command, config, show)
    except _ClaimLost:
        pass
    except Exception as error:
        reason = _one_line(error)
        with contextlib.suppress(PyMongoError):
            audit.append(hub.store, audit.FAILED, operator=operator, **where, error=reason)
        if isinstance(error, ConnectionFailure):
            raise DatabaseUnavailable(
                f"lost the database while resuming thread {target.thread_id} "
                f"({type(error).__name__}); the ticket shows an interrupted attempt "
                "(resume --force takes it over)"
            ) from error
        if isinstance(error, DocumentTooLarge):
            raise UsageError(
                f"resuming thread {target.thread_id} stopped: the graph tried to save a "
                "document larger than MongoDB's 16 MB"
            ) from error
        raise ResumeFailed(f"resuming thread {target.thread_id} failed: {reason}") from error
    if beat.lost.is_set():
        current = claims.claim_of(hub.store, target.thread_id, target.interrupt_id)
        raise ConflictError(
            f"lost the claim on thread {target.thread_id} while resuming; stopped before the "
            f"next step ({_taken_by(current)})"
        )
    after = load_snapshot(hub.store, target.thread_id)
    if after is not None and any(p.interrupt_id == target.interrupt_id for p in after.pending):
        why = warnings.text() or "the graph did not consume the answer"
        message = (
            f"the graph ran but interrupt {target.interrupt_id} of thread {target.thread_id} "
            f"is still pending: {why}"
        )
        audit.append(hub.store, audit.FAILED, operator=operator, **where, error=message)
        raise ResumeFailed(message)
    finished = claims.finish(hub.store, claim)
    audit.append(
        hub.store,
        audit.RESUMED,
        operator=operator,
        **where,
        checkpoint_after=after.checkpoint_id if after else None,
        error=None if finished else "the claim was taken over before it was marked done",
    )
    return ResumeResult(
        thread_id=target.thread_id,
        interrupt_id=target.interrupt_id,
        answer=last_answer(after.messages) if after and not after.pending else None,
        still_pending=after.pending if after else [],
        checkpoint_after=after.checkpoint_id if after else None,
    )


class _ClaimLost(Exception):
    """Stops a run between two steps once the heartbeat found the claim taken."""


class _GraphWarnings(logging.Handler):
    """What LangGraph warned about during a run (e.g. a Send to a node the graph lacks),
    to explain a resume that answered nothing."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []
        self._logger = logging.getLogger("langgraph")

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def __enter__(self) -> _GraphWarnings:
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)

    def text(self) -> str:
        return "; ".join(dict.fromkeys(self.lines))[:500]


def _taken_by(doc: dict | None) -> str:
    return claims.conflict_message(doc) if doc else "it was released"


def _one_line(error: BaseException) -> str:
    return (
        f"{type(error).__name__}: {error}".splitlines()[0][:500]
        if str(error)
        else (type(error).__name__)
    )


class ResumeFailed(HitlError):
    """The graph raised while resuming; the ticket stays pending."""

    exit_code = 1


def _check_graph_fits(hub: Runtime, target: PendingInterrupt) -> None:
    """Refuse to resume a thread with a graph that lacks the interrupted node."""
    nodes = getattr(hub.graph, "nodes", {}) or {}
    if target.node != "?" and target.node not in nodes:
        hint = "pass --graph MODULE_OR_FILE:ATTR" if hub.uses_builtin_graph else "check --graph"
        raise UsageError(
            f"thread {target.thread_id} was written by another graph "
            f"(its node {target.node!r} is not in this one); {hint}"
        )


def _check_size(value: Any) -> None:
    """Refuse an answer that cannot be written, before anything is written.

    The answer is stored in the audit event and in the checkpoint's pending write, and a
    graph usually copies it into its state twice (a tool result and the reply relaying
    it), every copy in a document of at most 16 MB."""
    check_finite(value)
    size = len(dumps(value).encode())
    if size > MAX_ANSWER_BYTES:
        raise UsageError(
            f"the answer is {size / 1e6:.1f} MB; at most {MAX_ANSWER_BYTES / 1e6:.1f} MB fits "
            "(MongoDB stores at most 16 MB per document and the graph keeps it twice)"
        )
    audit.check_size({"payload": to_jsonable(value)})
