"""Where interrupts come from: MongoDB checkpoints, or a LangGraph Agent Server.

A source lists and reads threads, starts a run for a user's message, and runs one answer
through the graph. Everything that keeps operators from stepping on each other (claims,
the heartbeat, the audit, "done means the interrupt is gone") stays with the `Desk` and
`hitl.resume`, in hitl-tui's own database, the same for every source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from hitl_tui.hitl.conversation import AskResult
    from hitl_tui.hitl.kinds import Decision
    from hitl_tui.hitl.snapshot import PendingInterrupt, ThreadSnapshot

OnMessage = Callable[[Any], None] | None
# Called with each step's new messages while a run goes on; raising stops the run there.
OnStep = Callable[[list[Any]], None]


@dataclass
class Answer:
    """One decision on its way to the graph: the interrupt it answers, the decision, the
    exact resume value, and the thread as it was just before (under the claim)."""

    target: PendingInterrupt
    decision: Decision
    value: Any
    before: ThreadSnapshot


@dataclass
class Ran:
    """How a run for an answer ended: the thread afterwards (None when it is gone), and
    what the graph warned about, to explain an answer it did not consume."""

    after: ThreadSnapshot | None
    warnings: str = ""


class Watcher(Protocol):
    """Calls back when the inbox may have changed; `supported` False means: poll instead."""

    supported: bool | None

    @property
    def running(self) -> bool: ...

    def wait_ready(self, timeout: float) -> bool | None: ...

    def stop(self, timeout: float | None = None) -> None: ...


class NoPush:
    """The watcher of a source without an event feed: the inbox polls."""

    supported = False
    running = False

    def wait_ready(self, timeout: float) -> bool | None:
        return False

    def stop(self, timeout: float | None = None) -> None:
        pass


class Source(Protocol):
    """What the desk needs from wherever the interrupts are."""

    graph_spec: str | None
    problems: dict[str, list[str]]
    progress: Any
    complete: bool

    @property
    def label(self) -> str:
        """Where the interrupts are, for a status line (credentials never shown)."""
        ...

    @property
    def model_label(self) -> str: ...

    def load(self) -> None:
        """Get ready to answer (compile the graph), off the UI thread."""

    def pending(
        self,
        decode_limit: int | None = None,
        on_progress: Callable[[Any], None] | None = None,
        on_partial: Callable[[list[Any]], None] | None = None,
    ) -> list[PendingInterrupt]:
        """Every pending interrupt, oldest first; `on_partial` may be given the list so far
        while a long read goes on."""
        ...

    def thread(self, thread_id: str) -> ThreadSnapshot:
        """The thread as it is now; NotFoundError when there is none."""
        ...

    def snapshot(self, thread_id: str, checkpoint_id: str | None = None) -> ThreadSnapshot | None:
        """The thread's latest state (or the checkpoint named), None when there is none."""
        ...

    def latest_checkpoint(self, thread_id: str) -> str | None: ...

    def new_thread_id(self) -> str:
        """An id for a new conversation, in the form this source accepts."""
        ...

    def ask(self, text: str, thread_id: str | None, on_message: OnMessage) -> AskResult: ...

    def resume_value(self, item: PendingInterrupt, decision: Decision) -> Any:
        """The exact value to resume `item` with, or UsageError saying why it cannot go."""
        ...

    def check_fits(self, target: PendingInterrupt) -> None:
        """UsageError when this source cannot run an answer to `target` at all."""

    def run(self, answer: Answer, on_step: OnStep) -> Ran:
        """Run the answer through the graph to its next stop (the claim is held)."""
        ...

    def failure(self, error: Exception, target: PendingInterrupt) -> Exception:
        """What a failed run means to the user: an error with the contract's exit code."""
        ...

    def watch(self, on_change: Callable[[], None]) -> Watcher: ...

    def follow(self, thread_id: str, on_change: Callable[[], None]) -> Watcher:
        """Call `on_change` when this one thread changes (the open ticket), where the
        source can say so sooner than the inbox's own refresh."""
        ...

    def close(self) -> None: ...
