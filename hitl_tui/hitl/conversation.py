"""The user's side: send a message on a thread, read the thread back."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage

from hitl_tui.errors import NotFoundError, UsageError
from hitl_tui.hitl.graph_runner import run_graph
from hitl_tui.hitl.runtime import Runtime
from hitl_tui.hitl.snapshot import (
    PendingInterrupt,
    ThreadSnapshot,
    has_pending,
    load_snapshot,
    message_as_json,
    message_text,
)
from hitl_tui.hitl.store import validate_thread_id

MAX_MESSAGE_CHARS = 100_000


@dataclass
class AskResult:
    thread_id: str
    status: str  # "answered" | "waiting"
    answer: str | None
    pending: list[PendingInterrupt] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "thread_id": self.thread_id,
            "status": self.status,
            "answer": self.answer,
            "pending": [p.as_json() for p in self.pending],
        }


def new_thread_id() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def ask(
    hub: Runtime,
    text: str,
    thread_id: str | None = None,
    on_message: Callable[[Any], None] | None = None,
) -> AskResult:
    """Run one user turn to its end: the agent answers, or the ticket waits for a human."""
    if not text.strip():
        raise UsageError("the message is empty")
    if len(text) > MAX_MESSAGE_CHARS:
        raise UsageError(f"the message is longer than {MAX_MESSAGE_CHARS} characters")
    thread_id = validate_thread_id(thread_id) if thread_id else new_thread_id()
    if has_pending(hub.store, thread_id):
        raise UsageError(
            f"thread {thread_id} is waiting for an operator; the new message was not sent"
        )
    config = {"configurable": {"thread_id": thread_id}}

    def show(update: Any) -> None:
        if on_message is not None:
            for message in messages_in_update(update):
                on_message(message)

    run_graph(hub.graph, {"messages": [HumanMessage(text)]}, config, show)
    return result_of(hub, thread_id)


def result_of(hub: Runtime, thread_id: str) -> AskResult:
    snapshot = load_snapshot(hub.store, thread_id)
    if snapshot is None:
        raise NotFoundError(f"thread {thread_id} not found")
    if snapshot.pending:
        return AskResult(thread_id, "waiting", None, snapshot.pending)
    return AskResult(thread_id, "answered", last_answer(snapshot.messages), [])


def last_answer(messages: list[Any]) -> str | None:
    for message in reversed(messages):
        if isinstance(message, AIMessage) and not message.tool_calls:
            return message_text(message)
        if isinstance(message, HumanMessage):
            return None
    return None


def thread(hub: Runtime, thread_id: str) -> ThreadSnapshot:
    """The thread as it is now, with a stop at a static breakpoint recognised when the
    loaded graph has any; NotFoundError when there is no such thread."""
    validate_thread_id(thread_id)
    snapshot = load_snapshot(hub.store, thread_id)
    if snapshot is None:
        raise NotFoundError(f"thread {thread_id} not found")
    if not snapshot.pending and hub.graph_spec and hub.store.breakpoints is None:
        hub.graph  # its breakpoints tell whether the thread stopped at one  # noqa: B018
        snapshot = load_snapshot(hub.store, thread_id) or snapshot
    return snapshot


def thread_json(snapshot: ThreadSnapshot) -> dict:
    return {
        "thread_id": snapshot.thread_id,
        "next": snapshot.next,
        "messages": [message_as_json(m) for m in snapshot.messages],
        "pending": [p.as_json() for p in snapshot.pending],
        "problems": snapshot.problems,
        **snapshot.source_fields(),
    }


def messages_in_update(update: Any) -> list[Any]:
    """The messages a `stream_mode="updates"` chunk carries."""
    found: list[Any] = []
    if isinstance(update, dict):
        for value in update.values():
            if isinstance(value, dict) and isinstance(value.get("messages"), list):
                found.extend(value["messages"])
    return found
