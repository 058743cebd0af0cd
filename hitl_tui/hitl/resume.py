"""The operator's side: answer one pending interrupt, safely.

Order matters: claim (so exactly one operator proceeds), check the interrupt is still
pending, mark the claim as a running attempt, record the decision, resume while a
heartbeat keeps the claim alive, check the interrupt is gone, record the outcome. A
resume that failed or answered nothing releases the claim and is audited as failed, so
the ticket is visibly pending again, never lost.

The sequence is the same for every source of interrupts; only the run itself differs
(the graph here, or a run on an Agent Server), and it is the source's `run`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymongo.errors import PyMongoError

from hitl_tui.errors import ConflictError, HitlError, NotFoundError, UsageError
from hitl_tui.hitl import audit, claims
from hitl_tui.hitl.conversation import last_answer
from hitl_tui.hitl.heartbeat import Heartbeat
from hitl_tui.hitl.identity import validate_operator
from hitl_tui.hitl.jsonsafe import check_finite, dumps, to_jsonable
from hitl_tui.hitl.kinds import CONTINUE, Decision, build_resume_value
from hitl_tui.hitl.runtime import Runtime
from hitl_tui.hitl.snapshot import PendingInterrupt, ThreadSnapshot
from hitl_tui.hitl.source import Answer, Ran, Source
from hitl_tui.hitl.store import Store

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


def pending_target(
    source: Source, store: Store, thread_id: str, interrupt_id: str | None
) -> PendingInterrupt:
    """The interrupt to answer: the only one, or the one named."""
    snapshot = source.thread(thread_id)
    if not snapshot.pending:
        answered = claims.last_answered(store, thread_id)
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
    done = claims.claim_of(store, thread_id, interrupt_id)
    if done and done.get("state") == claims.DONE:
        raise ConflictError(claims.conflict_message(done))
    raise NotFoundError(f"interrupt {interrupt_id} is not pending in thread {thread_id}")


def resume_value_for(
    item: PendingInterrupt, decision: Decision, tool_schemas: dict[str, dict] | None = None
) -> Any:
    """The exact resume value, checked against the graph's own tool schemas when known."""
    value = build_resume_value(item, decision, tool_schemas)
    _check_size(value)
    if decision.action == CONTINUE:
        _check_size(decision.value)
    return value


def resume(hub: Runtime, thread_id: str, *args: Any, **options: Any) -> ResumeResult:
    """Answer one interrupt saved in MongoDB, running the graph here (`Desk.decide`)."""
    from hitl_tui.hitl.desk import Desk

    return Desk(hub).decide(thread_id, *args, **options)


def answer(
    source: Source,
    store: Store,
    lease: float,
    thread_id: str,
    decision: Decision,
    operator: str,
    interrupt_id: str | None = None,
    *,
    on_message: Callable[[Any], None] | None = None,
    claim: claims.Claim | None = None,
    force: bool = False,
) -> ResumeResult:
    """Answer one interrupt of `thread_id` and run the graph to its next stop.

    `claim` is one the caller took earlier (the console claims a ticket when it is
    opened); without it a claim is taken here. `force` takes over an interrupted attempt.
    """
    validate_operator(operator)
    target = pending_target(source, store, thread_id, interrupt_id)
    value = source.resume_value(target, decision)
    source.check_fits(target)
    claim = _hold(store, claim, target, operator, lease, force)
    attempt = _Attempt(store, target, operator, claim, lease)
    try:
        planned = Answer(target, decision, value, _still_pending(source, attempt))
        attempt.start(planned)
        return attempt.finish(_run(source, attempt, planned, on_message))
    except BaseException as error:
        if not getattr(error, "keeps_claim", False):  # an outcome nobody can know yet
            with contextlib.suppress(PyMongoError):  # the database may be why we failed
                claims.release(store, claim, why=one_line(error))
        raise


def _hold(
    store: Store,
    claim: claims.Claim | None,
    target: PendingInterrupt,
    operator: str,
    lease: float,
    force: bool,
) -> claims.Claim:
    """The caller's claim on `target` renewed, or a new one."""
    if claim is None or claim.interrupt_id != target.interrupt_id:
        return claims.acquire(
            store, target.thread_id, target.interrupt_id, operator, lease, force=force
        )
    if not claims.renew(store, claim, lease):
        current = claims.claim_of(store, target.thread_id, target.interrupt_id)
        raise ConflictError(claims.conflict_message(current))
    return claim


def _still_pending(source: Source, attempt: _Attempt) -> ThreadSnapshot:
    """Between our look and our claim another operator may have finished: look again."""
    target = attempt.target
    fresh = source.snapshot(target.thread_id)
    if fresh is not None and any(p.interrupt_id == target.interrupt_id for p in fresh.pending):
        return fresh
    previous = claims.claim_of(attempt.store, target.thread_id, target.interrupt_id)
    raise ConflictError(
        f"interrupt {target.interrupt_id} of thread {target.thread_id} was answered already"
        + (
            f" ({claims.conflict_message(previous)})"
            if previous and previous.get("state") == claims.DONE
            else ""
        )
    )


def _run(
    source: Source,
    attempt: _Attempt,
    planned: Answer,
    on_message: Callable[[Any], None] | None,
) -> Ran | None:
    """The source's run, under a heartbeat; None when it stopped because the claim went."""
    beat = Heartbeat(attempt.store, attempt.claim, attempt.lease, on_lost=attempt.claim_lost)

    def step(messages: list[Any]) -> None:
        for message in messages if on_message is not None else []:
            on_message(message)
        if beat.lost.is_set():
            raise _ClaimLost  # someone took the ticket: no further step with effects

    ran = None
    try:
        with beat:
            ran = source.run(planned, step)
    except _ClaimLost:
        pass
    except Exception as error:
        with contextlib.suppress(PyMongoError):
            attempt.record(audit.FAILED, error=one_line(error))
        failure = source.failure(error, attempt.target)
        if failure is error:
            raise
        raise failure from error
    if beat.lost.is_set():
        target = attempt.target
        current = claims.claim_of(attempt.store, target.thread_id, target.interrupt_id)
        raise ConflictError(
            f"lost the claim on thread {target.thread_id} while resuming; stopped "
            f"before the next step ({_taken_by(current)})"
        )
    return ran


@dataclass
class _Attempt:
    """One operator's attempt at one interrupt, under `claim`: what the audit records."""

    store: Store
    target: PendingInterrupt
    operator: str
    claim: claims.Claim
    lease: float

    def record(self, event: str, **fields: Any) -> None:
        audit.append(
            self.store,
            event,
            operator=self.operator,
            thread_id=self.target.thread_id,
            interrupt_id=self.target.interrupt_id,
            attempt=self.claim.token,
            **fields,
        )

    def start(self, planned: Answer) -> None:
        """Mark the claim as a running attempt and record the decision, or ConflictError."""
        action = planned.decision.action
        if not claims.start_resuming(self.store, self.claim, action, self.lease):
            current = claims.claim_of(self.store, self.target.thread_id, self.target.interrupt_id)
            self.record(audit.CLAIM_LOST, error="lost the claim before resuming")
            raise ConflictError(
                f"lost the claim before resuming: {claims.conflict_message(current)}"
            )
        self.record(
            audit.STARTED,
            kind=self.target.kind,
            decision={"action": action},
            payload=planned.value,
            checkpoint_before=planned.before.checkpoint_id,
        )

    def claim_lost(self) -> None:
        """Audited the moment the heartbeat finds out."""
        with contextlib.suppress(PyMongoError):
            current = claims.claim_of(self.store, self.target.thread_id, self.target.interrupt_id)
            self.record(
                audit.CLAIM_LOST,
                error=f"the claim was lost while the graph ran ({_taken_by(current)})",
            )

    def finish(self, ran: Ran | None) -> ResumeResult:
        """Done means answered: the interrupt must be gone from the thread afterwards."""
        target = self.target
        after = ran.after if ran is not None else None
        if after is not None and any(p.interrupt_id == target.interrupt_id for p in after.pending):
            why = (ran.warnings if ran else "") or "the graph did not consume the answer"
            message = (
                f"the graph ran but interrupt {target.interrupt_id} of thread "
                f"{target.thread_id} is still pending: {why}"
            )
            self.record(audit.FAILED, error=message)
            raise ResumeFailed(message)
        finished = claims.finish(self.store, self.claim)
        self.record(
            audit.RESUMED,
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


def _taken_by(doc: dict | None) -> str:
    return claims.conflict_message(doc) if doc else "it was released"


def one_line(error: BaseException) -> str:
    """An error as one short line for the audit and for a released claim's reason."""
    return (
        f"{type(error).__name__}: {error}".splitlines()[0][:500]
        if str(error)
        else (type(error).__name__)
    )


class ResumeFailed(HitlError):
    """The graph raised while resuming; the ticket stays pending."""

    exit_code = 1


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
