"""Interrupts saved by MongoDBSaver: listed from its collections, answered by running the
graph here, in this process (`--graph`, or the built-in support agent)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pymongo.errors import ConnectionFailure, DocumentTooLarge

from hitl_tui.errors import DatabaseUnavailable, UsageError
from hitl_tui.hitl.conversation import (
    AskResult,
    ask,
    messages_in_update,
    new_thread_id,
    thread,
)
from hitl_tui.hitl.graph_runner import run_graph, update_state
from hitl_tui.hitl.kinds import CONTINUE, Decision
from hitl_tui.hitl.resume import ResumeFailed, one_line, resume_value_for
from hitl_tui.hitl.runtime import Runtime
from hitl_tui.hitl.snapshot import (
    PendingInterrupt,
    ThreadSnapshot,
    latest_checkpoint_id,
    load_snapshot,
)
from hitl_tui.hitl.source import Answer, OnMessage, OnStep, Ran


class CheckpointSource:
    """The MongoDB source: one runtime (connection, store, graph) and an inbox."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._inbox: Any = None
        self._graph_tried = False

    @property
    def graph_spec(self) -> str | None:
        return self.runtime.graph_spec

    @property
    def label(self) -> str:
        return self.runtime.database_label

    @property
    def model_label(self) -> str:
        return self.runtime.model_label

    def load(self) -> None:
        self.runtime.graph  # noqa: B018 (compiled on first use)

    def close(self) -> None:
        pass  # the runtime's connection is the desk's to close

    def _read_with_the_graph(self) -> None:
        """With --graph, tickets are read with its serializer from the first read on: it
        may be the only one that reads them (one that encrypts). A graph that does not load
        was reported where it was asked for; listing goes on without it."""
        if self.runtime.graph_spec and not self._graph_tried:
            self._graph_tried = True
            try:
                self.load()
            except UsageError:
                pass

    # -- listing and reading ----------------------------------------------------------
    @property
    def inbox(self) -> Any:
        if self._inbox is None:
            from hitl_tui.hitl.inbox import Inbox

            self._inbox = Inbox(self.runtime.store)
        return self._inbox

    @property
    def problems(self) -> dict[str, list[str]]:
        return self.inbox.problems

    @property
    def progress(self) -> Any:
        return self.inbox.progress

    @property
    def complete(self) -> bool:
        return self.inbox.complete

    def pending(
        self,
        decode_limit: int | None = None,
        on_progress: Callable[[Any], None] | None = None,
        on_partial: Callable[[list[Any]], None] | None = None,
    ) -> list[PendingInterrupt]:
        self._read_with_the_graph()
        return self.inbox.refresh(
            decode_limit=decode_limit, on_progress=on_progress, on_partial=on_partial
        )

    def thread(self, thread_id: str) -> ThreadSnapshot:
        return thread(self.runtime, thread_id)

    def snapshot(self, thread_id: str, checkpoint_id: str | None = None) -> ThreadSnapshot | None:
        return load_snapshot(self.runtime.store, thread_id, checkpoint_id)

    def latest_checkpoint(self, thread_id: str) -> str | None:
        return latest_checkpoint_id(self.runtime.store, thread_id)

    def watch(self, on_change: Callable[[], None]) -> Any:
        from hitl_tui.hitl.watch import ChangeWatcher

        return ChangeWatcher(self.runtime.store, on_change).start()

    def follow(self, thread_id: str, on_change: Callable[[], None]) -> Any:
        """The change stream of `watch` covers every thread already."""
        from hitl_tui.hitl.source import NoPush

        return NoPush()

    # -- running ------------------------------------------------------------------------
    def new_thread_id(self) -> str:
        return new_thread_id()

    def ask(self, text: str, thread_id: str | None, on_message: OnMessage) -> AskResult:
        return ask(self.runtime, text, thread_id, on_message=on_message)

    def resume_value(self, item: PendingInterrupt, decision: Decision) -> Any:
        return resume_value_for(item, decision, self.runtime.tool_schemas)

    def check_fits(self, target: PendingInterrupt) -> None:
        """Refuse to resume a thread with a graph that lacks the interrupted node."""
        nodes = getattr(self.runtime.graph, "nodes", {}) or {}
        if target.node != "?" and target.node not in nodes:
            hint = (
                "pass --graph MODULE_OR_FILE:ATTR"
                if self.runtime.uses_builtin_graph
                else "check --graph"
            )
            raise UsageError(
                f"thread {target.thread_id} was written by another graph "
                f"(its node {target.node!r} is not in this one); {hint}"
            )

    def run(self, answer: Answer, on_step: OnStep) -> Ran:
        graph, target, decision = self.runtime.graph, answer.target, answer.decision
        config = {"configurable": {"thread_id": target.thread_id}}

        def step(update: Any) -> None:
            on_step(messages_in_update(update))

        with _GraphWarnings() as warnings:
            if decision.action == CONTINUE:  # a static breakpoint: run on, maybe with new state
                if decision.value is not None:
                    update_state(graph, config, decision.value)
                run_graph(graph, None, config, step)
            else:
                from langgraph.types import Command  # loads LangSmith: only when resuming

                value = answer.value
                several = len(answer.before.pending) > 1
                command = Command(resume={target.interrupt_id: value} if several else value)
                run_graph(graph, command, config, step)
        return Ran(load_snapshot(self.runtime.store, target.thread_id), warnings.text())

    def failure(self, error: Exception, target: PendingInterrupt) -> Exception:
        if isinstance(error, ConnectionFailure):
            return DatabaseUnavailable(
                f"lost the database while resuming thread {target.thread_id} "
                f"({type(error).__name__}); the ticket shows an interrupted attempt "
                "(resume --force takes it over)"
            )
        if isinstance(error, DocumentTooLarge):
            return UsageError(
                f"resuming thread {target.thread_id} stopped: the graph tried to save a "
                "document larger than MongoDB's 16 MB"
            )
        return ResumeFailed(f"resuming thread {target.thread_id} failed: {one_line(error)}")


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
