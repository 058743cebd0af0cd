"""The desk: the one typed façade both front-ends use.

The CLI and the console do everything through a `Desk` (ask, read a thread, list what is
pending, claim, renew, release, decide, read the history, watch for changes), so the two can
never drift apart, and neither needs to know about stores, savers or documents.

Where the interrupts come from is the desk's `source` (MongoDB checkpoints, or a LangGraph
Agent Server); claims, the audit and its verification are always in hitl-tui's own
database (`runtime.store`), so operators are kept apart the same way for every source.

    with build_desk(settings) as desk:          # hitl_tui.runtime, the composition root
        for item in desk.pending(): ...
        desk.decide(thread_id, Decision(APPROVE), operator="alice")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hitl_tui.hitl import claims

if TYPE_CHECKING:  # the modules behind each call load when it is first made: a fast start
    from hitl_tui.hitl.claims import Claim
    from hitl_tui.hitl.conversation import AskResult
    from hitl_tui.hitl.kinds import Decision
    from hitl_tui.hitl.resume import ResumeResult
    from hitl_tui.hitl.runtime import Runtime
    from hitl_tui.hitl.snapshot import PendingInterrupt, ThreadSnapshot
    from hitl_tui.hitl.source import Source, Watcher

OnMessage = Callable[[Any], None] | None


class Desk:
    """One per process or console: the own database (`runtime`) and a source of interrupts
    (by default the checkpoints in that same database)."""

    def __init__(self, runtime: Runtime, source: Source | None = None) -> None:
        if source is None:
            from hitl_tui.hitl.checkpoint_source import CheckpointSource

            source = CheckpointSource(runtime)
        self.runtime = runtime
        self.source = source

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.source.close()
        finally:
            self.runtime.close()

    # -- what the desk is set up with ---------------------------------------------------
    @property
    def settings(self) -> Any:
        return self.runtime.settings

    @property
    def operator(self) -> str:
        return self.runtime.settings.operator

    @property
    def model_label(self) -> str:
        return self.source.model_label

    @property
    def database_label(self) -> str:
        return self.source.label

    @property
    def graph_spec(self) -> str | None:
        return self.source.graph_spec

    def index_hint(self) -> str | None:
        """A one-line hint when the database lacks indexes our queries need."""
        return self.runtime.index_hint()

    def load_graph(self) -> None:
        """Compile the graph now (off the UI thread), rather than on the first answer."""
        self.source.load()

    # -- the user's side ------------------------------------------------------------------
    def new_thread_id(self) -> str:
        """An id for a new conversation that this desk's source accepts."""
        return self.source.new_thread_id()

    def ask(
        self, text: str, thread_id: str | None = None, on_message: OnMessage = None
    ) -> AskResult:
        return self.source.ask(text, thread_id, on_message)

    def thread(self, thread_id: str) -> ThreadSnapshot:
        """The thread as it is now, with who holds its tickets; NotFoundError if it does
        not exist."""
        snapshot = self.source.thread(thread_id)
        claims.attach(self.runtime.store, snapshot.pending)
        return snapshot

    def latest_checkpoint(self, thread_id: str) -> str | None:
        return self.source.latest_checkpoint(thread_id)

    def snapshot(self, thread_id: str, checkpoint_id: str | None = None) -> ThreadSnapshot | None:
        """The thread's latest checkpoint (or the one named), or None: for pollers that
        already know the thread exists."""
        return self.source.snapshot(thread_id, checkpoint_id)

    def decision_notes(self, thread_id: str, cache: dict) -> list[Any]:
        """What operators decided on this thread, for the user's transcript."""
        from hitl_tui.hitl.decision_log import decision_notes

        return decision_notes(self.runtime.store, thread_id, cache, self.source.snapshot)

    # -- the operator's side --------------------------------------------------------------
    def pending(
        self,
        decode_limit: int | None = None,
        on_progress: Callable[[Any], None] | None = None,
        on_partial: Callable[[list[PendingInterrupt]], None] | None = None,
    ) -> list[PendingInterrupt]:
        """Every pending interrupt, oldest first, with who holds it (see `Inbox.refresh`)."""
        store = self.runtime.store
        partial = None
        if on_partial is not None:

            def partial(items: list[PendingInterrupt]) -> None:
                claims.attach(store, items)
                on_partial(items)

        items = self.source.pending(
            decode_limit=decode_limit, on_progress=on_progress, on_partial=partial
        )
        claims.attach(store, items)
        return items

    @property
    def problems(self) -> dict[str, list[str]]:
        """Threads whose latest state decoded with problems, from the last `pending`."""
        return self.source.problems

    @property
    def progress(self) -> Any:
        """How far the first look at an unseen history has got, or None when done."""
        return self.source.progress

    @property
    def complete(self) -> bool:
        """False when the last `pending` left tickets to decode for the next call."""
        return self.source.complete

    def target(self, thread_id: str, interrupt_id: str | None = None) -> PendingInterrupt:
        """The interrupt a decision would answer: the only one, or the one named."""
        from hitl_tui.hitl.resume import pending_target

        return pending_target(self.source, self.runtime.store, thread_id, interrupt_id)

    def check(self, item: PendingInterrupt, decision: Decision) -> Any:
        """The exact resume value for `decision`, or a UsageError saying why it cannot go."""
        return self.source.resume_value(item, decision)

    def claim(
        self,
        thread_id: str,
        interrupt_id: str,
        operator: str | None = None,
        *,
        force: bool = False,
    ) -> Claim:
        """Take the claim, or ConflictError saying who holds it (or that it was answered);
        an interrupted attempt is taken over only with `force`."""
        return claims.acquire(
            self.runtime.store,
            thread_id,
            interrupt_id,
            operator or self.operator,
            self.settings.claim_seconds,
            force=force,
        )

    def renew(self, claim: Claim) -> bool:
        return claims.renew(self.runtime.store, claim, self.settings.claim_seconds)

    def release(self, claim: Claim) -> bool:
        return claims.release(self.runtime.store, claim)

    def release_any(
        self,
        thread_id: str,
        interrupt_id: str,
        operator: str | None = None,
        *,
        force: bool = False,
    ) -> bool:
        """Free whoever's claim on the ticket, as `operator` (audited); False when there was
        none. A running resume is never freed; an interrupted attempt only with `force`."""
        return claims.release_any(
            self.runtime.store, thread_id, interrupt_id, operator or self.operator, force=force
        )

    def decide(
        self,
        thread_id: str,
        decision: Decision,
        operator: str | None = None,
        interrupt_id: str | None = None,
        on_message: OnMessage = None,
        claim: Claim | None = None,
        force: bool = False,
    ) -> ResumeResult:
        """Answer one interrupt and run the graph to its next stop (see `resume.answer`)."""
        from hitl_tui.hitl.resume import answer

        return answer(
            self.source,
            self.runtime.store,
            self.settings.claim_seconds,
            thread_id,
            decision,
            operator or self.operator,
            interrupt_id,
            on_message=on_message,
            claim=claim,
            force=force,
        )

    def history(self, thread_id: str | None = None, limit: int = 200) -> list[dict]:
        """The audit's events, oldest first."""
        from hitl_tui.hitl import audit

        return audit.history(self.runtime.store, thread_id, limit=limit)

    def verify_audit(self) -> Any:
        """Walk the audit's hash chain: a `Verdict` saying whether it is intact."""
        from hitl_tui.hitl import audit

        return audit.verify(self.runtime.store)

    def decided(self, thread_id: str | None = None, limit: int = 200) -> list[dict]:
        """One row per decision taken, from the audit."""
        from hitl_tui.hitl.decision_log import decided_entries

        return decided_entries(self.history(thread_id, limit=limit))

    def watch(self, on_change: Callable[[], None]) -> Watcher:
        """Call `on_change` (from a daemon thread) when the inbox may have changed."""
        return self.source.watch(on_change)

    def follow(self, thread_id: str, on_change: Callable[[], None]) -> Watcher:
        """Call `on_change` (from a daemon thread) when this thread changes: the open
        ticket's live view, where the source pushes (`supported` False: poll instead)."""
        return self.source.follow(thread_id, on_change)
