"""Interrupts held by a LangGraph Agent Server (`langgraph dev`, `langgraph up`, the platform).

The server runs the graphs, so resuming needs no graph code here: only the interrupt's id
and the value its kind expects. What the server does not give, hitl-tui keeps in its own
database: claims (exactly one operator resumes) and the audit trail. The server ignores a
stale interrupt id without an error, so a resume counts as done only when the interrupt is
gone from the thread afterwards.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from langchain_core.messages import SystemMessage, convert_to_messages
from langgraph_sdk.client import SyncLangGraphClient
from pymongo.errors import PyMongoError

from hitl_tui.errors import ConflictError, NotFoundError, UsageError
from hitl_tui.hitl import audit, claims
from hitl_tui.hitl.conversation import MAX_MESSAGE_CHARS, AskResult, last_answer
from hitl_tui.hitl.heartbeat import Heartbeat
from hitl_tui.hitl.kinds import Decision, kind_of
from hitl_tui.hitl.resume import ResumeFailed, ResumeResult, resume_value_for
from hitl_tui.hitl.snapshot import PendingInterrupt, last_tool_calls
from hitl_tui.hitl.store import Store, validate_thread_id
from hitl_tui.sources.server_errors import ServerUnavailable, server_errors

# The server's largest page: one request covers up to a thousand waiting threads. Past
# that, offset paging can skip a thread that changes while we page; the next poll sees it.
PAGE = 1000


@dataclass
class ServerInterrupt(PendingInterrupt):
    """A pending interrupt as `pending --json` shows it, plus where it runs on the server."""

    graph_id: str | None = None
    assistant_id: str | None = None

    def as_json(self, now: datetime | None = None) -> dict:
        data = super().as_json(now)
        data.update(graph_id=self.graph_id, assistant_id=self.assistant_id)
        return data


@dataclass
class ServerThread:
    """A thread's state on the server: the shape `show --json` prints."""

    thread_id: str
    checkpoint_id: str
    status: str
    next: list[str]
    messages: list[Any]
    pending: list[ServerInterrupt] = field(default_factory=list)
    graph_id: str | None = None
    assistant_id: str | None = None
    problems: list[str] = field(default_factory=list)


def shown_url(url: str) -> str:
    """The URL as it may be printed: no user or password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class AgentServerSource:
    """List, read, resume and start threads on one Agent Server; claims and audit in `store`."""

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        connect_timeout: float = 3.0,
        run_timeout: float = 600.0,
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise UsageError(f"--server wants an http(s) URL, not {shown_url(url)!r}")
        self.url = shown_url(url)
        # Our own HTTP client: the SDK's default retries a refused connection five times
        # with backoff (~11 s before "unreachable"), and would pick up keys from the
        # environment that the user never meant for this server.
        self.client = SyncLangGraphClient(
            httpx.Client(
                base_url=url.rstrip("/"),
                transport=httpx.HTTPTransport(retries=1),
                timeout=httpx.Timeout(run_timeout, connect=connect_timeout),
                headers={"x-api-key": api_key} if api_key else None,
            )
        )

    def close(self) -> None:
        self.client.close()

    # -- reading ---------------------------------------------------------------------
    def pending(self, store: Store | None = None) -> list[ServerInterrupt]:
        """Every pending interrupt on the server, oldest first, with who claimed it."""
        threads: list[dict] = []
        with server_errors(self.url):
            while True:
                page = self.client.threads.search(
                    status="interrupted",
                    sort_by="updated_at",
                    sort_order="asc",
                    limit=PAGE,
                    offset=len(threads),
                )
                threads.extend(page)
                if len(page) < PAGE:
                    break
        unique = {str(thread.get("thread_id")): thread for thread in threads}
        items = [
            item
            for thread in unique.values()
            # The search result carries no checkpoint id; `show` gives the real one.
            for item in _items(thread, _tasks_of_search(thread), thread.get("values"), "")
        ]
        if store is not None:
            _attach_claims(store, items)
        items.sort(key=lambda i: (i.created_at, i.thread_id, i.interrupt_id))
        return items

    def thread(self, thread_id: str, store: Store | None = None) -> ServerThread:
        validate_thread_id(thread_id)
        missing = f"thread {thread_id} not found on the Agent Server at {self.url}"
        with server_errors(self.url, missing=missing):
            info = self.client.threads.get(thread_id)
            state = self.client.threads.get_state(thread_id)
        values = state.get("values") if isinstance(state.get("values"), dict) else {}
        tasks = [
            (str(t.get("id", "")), str(t.get("name", "?")), t.get("interrupts") or [])
            for t in state.get("tasks") or []
        ]
        checkpoint = state.get("checkpoint") or {}
        pending = _items(info, tasks, values, str(checkpoint.get("checkpoint_id", "")))
        if store is not None:
            _attach_claims(store, pending)
        metadata = info.get("metadata") or {}
        return ServerThread(
            thread_id=thread_id,
            checkpoint_id=str(checkpoint.get("checkpoint_id", "")),
            status=str(info.get("status", "")),
            next=[str(n) for n in state.get("next") or []],
            messages=_messages(values),
            pending=pending,
            graph_id=metadata.get("graph_id"),
            assistant_id=metadata.get("assistant_id"),
            problems=_problems(info),
        )

    def assistants(self) -> list[dict]:
        with server_errors(self.url):
            return list(self.client.assistants.search(limit=PAGE))

    def assistant_for(self, name: str | None) -> str:
        """The assistant to start a run on: the one named (id, name or graph id), or the
        only graph the server serves."""
        known = self.assistants()
        graphs = sorted({str(a.get("graph_id")) for a in known})
        if name is None:
            if len(graphs) == 1:
                return graphs[0]
            raise UsageError(
                f"the Agent Server serves {len(graphs)} graphs; choose one with --assistant "
                f"({', '.join(graphs) or 'none'})"
            )
        for assistant in known:
            if name in (assistant.get("assistant_id"), assistant.get("graph_id")):
                return name
            if name == assistant.get("name"):
                return str(assistant.get("assistant_id"))
        raise NotFoundError(
            f"assistant {name!r} not found on the Agent Server at {self.url} "
            f"(graphs: {', '.join(graphs) or 'none'})"
        )

    # -- the user's side -------------------------------------------------------------
    def ask(
        self,
        text: str,
        assistant: str | None,
        thread_id: str | None = None,
        on_message: Callable[[Any], None] | None = None,
    ) -> AskResult:
        """Start a run with one user message; the answer, or the ticket now waiting.

        `on_message` gets each message the run added, once it has ended."""
        if not text.strip():
            raise UsageError("the message is empty")
        if len(text) > MAX_MESSAGE_CHARS:
            raise UsageError(f"the message is longer than {MAX_MESSAGE_CHARS} characters")
        assistant_id = self.assistant_for(assistant)
        seen = 0
        if thread_id is None:
            with server_errors(self.url):
                thread_id = str(self.client.threads.create()["thread_id"])
        else:
            _check_uuid(thread_id)
            with server_errors(self.url):
                self.client.threads.create(thread_id=thread_id, if_exists="do_nothing")
            before = self.thread(thread_id)
            if before.pending:
                raise UsageError(
                    f"thread {thread_id} is waiting for an operator; the new message was not sent"
                )
            seen = len(before.messages)
        with server_errors(self.url, missing=f"assistant {assistant_id!r} not found"):
            result = self.client.runs.wait(
                thread_id,
                assistant_id,
                input={"messages": [{"role": "user", "content": text}]},
                raise_error=False,
            )
        _raise_if_failed(result, f"the run on thread {thread_id}")
        after = self.thread(thread_id)
        for message in after.messages[seen:] if on_message is not None else []:
            on_message(message)
        if after.pending:
            return AskResult(thread_id, "waiting", None, list(after.pending))
        return AskResult(thread_id, "answered", last_answer(after.messages), [])

    # -- the operator's side ---------------------------------------------------------
    def resume(
        self,
        store: Store,
        thread_id: str,
        decision: Decision,
        operator: str,
        interrupt_id: str | None = None,
        *,
        claim_seconds: float = 300.0,
    ) -> ResumeResult:
        """Answer one interrupt by id under a claim, and make sure it is gone afterwards."""
        target = self.target(store, thread_id, interrupt_id)
        value = resume_value_for(target, decision)
        claim = claims.acquire(store, thread_id, target.interrupt_id, operator, claim_seconds)
        keep_claim = False
        try:
            return self._resume_claimed(
                store, target, decision, value, operator, claim, claim_seconds
            )
        except OutcomeUnknown:
            # The run may have taken effect before the server went away: keep the claim
            # so nobody runs the action a second time while that is uncertain.
            keep_claim = True
            raise
        finally:
            if not keep_claim:
                with contextlib.suppress(PyMongoError):
                    claims.release(store, claim)  # a no-op once the claim is done

    def target(self, store: Store, thread_id: str, interrupt_id: str | None) -> ServerInterrupt:
        """The interrupt to answer: the only one, or the one named (the MongoDB rules)."""
        snapshot = self.thread(thread_id)
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

    def _resume_claimed(
        self,
        store: Store,
        target: ServerInterrupt,
        decision: Decision,
        value: Any,
        operator: str,
        claim: claims.Claim,
        claim_seconds: float,
    ) -> ResumeResult:
        # Between our look and our claim another operator may have finished: look again.
        fresh = self.thread(target.thread_id)
        if not any(p.interrupt_id == target.interrupt_id for p in fresh.pending):
            raise ConflictError(
                f"interrupt {target.interrupt_id} of thread {target.thread_id} was answered already"
            )
        where = {
            "thread_id": target.thread_id,
            "interrupt_id": target.interrupt_id,
            "attempt": claim.token,
        }
        if not claims.start_resuming(store, claim, decision.action, claim_seconds):
            current = claims.claim_of(store, target.thread_id, target.interrupt_id)
            raise ConflictError(
                f"lost the claim before resuming: {claims.conflict_message(current)}"
            )
        audit.append(
            store,
            audit.STARTED,
            operator=operator,
            **where,
            kind=target.kind,
            decision={"action": decision.action},
            payload=value,
            checkpoint_before=fresh.checkpoint_id,
        )
        assistant = fresh.assistant_id or fresh.graph_id or target.assistant_id
        try:
            with (
                Heartbeat(store, claim, claim_seconds),
                _outcome_unknown_if_lost(target, operator),
                server_errors(self.url, missing=f"assistant {assistant!r} not found"),
            ):
                result = self.client.runs.wait(
                    target.thread_id,
                    str(assistant),
                    # Always by id: a bare value with several interrupts pending fails the run.
                    command={"resume": {target.interrupt_id: value}},
                    multitask_strategy="reject",
                    raise_error=False,
                )
            _raise_if_failed(result, f"resuming thread {target.thread_id}")
            with _outcome_unknown_if_lost(target, operator):
                after = self.thread(target.thread_id)
            if any(p.interrupt_id == target.interrupt_id for p in after.pending):
                raise ResumeFailed(
                    f"the Agent Server ran thread {target.thread_id} without answering "
                    f"interrupt {target.interrupt_id}; it stays pending"
                )
        except Exception as error:
            with contextlib.suppress(PyMongoError):
                audit.append(store, audit.FAILED, operator=operator, **where, error=str(error))
            raise
        claims.finish(store, claim)
        audit.append(
            store, audit.RESUMED, operator=operator, **where, checkpoint_after=after.checkpoint_id
        )
        return ResumeResult(
            thread_id=target.thread_id,
            interrupt_id=target.interrupt_id,
            answer=last_answer(after.messages) if not after.pending else None,
            still_pending=list(after.pending),
            checkpoint_after=after.checkpoint_id,
        )


class OutcomeUnknown(ServerUnavailable):
    """The server went away after our answer was sent: it may or may not have run."""


@contextlib.contextmanager
def _outcome_unknown_if_lost(target: ServerInterrupt, operator: str) -> Iterator[None]:
    try:
        yield
    except ServerUnavailable as error:
        raise OutcomeUnknown(
            f"{error} The answer to thread {target.thread_id} may have been applied; "
            f"the ticket stays claimed by {operator} until the claim expires: "
            f"check it with `hitl-tui show {target.thread_id}`."
        ) from None


def _tasks_of_search(thread: dict) -> list[tuple[str, str, list]]:
    """`threads.search` gives interrupts by task id, without node names."""
    interrupts = thread.get("interrupts") or {}
    if not isinstance(interrupts, dict):
        return []
    return [(str(task), "?", list(found or [])) for task, found in interrupts.items()]


def _items(
    thread: dict, tasks: list[tuple[str, str, list]], values: Any, checkpoint_id: str
) -> list[ServerInterrupt]:
    messages = _messages(values if isinstance(values, dict) else {})
    tool_calls = last_tool_calls(messages)
    created_at = _timestamp(thread.get("updated_at"))
    metadata = thread.get("metadata") or {}
    items = []
    for task_id, node, interrupts in tasks:
        for interrupt in interrupts:
            if not isinstance(interrupt, dict) or not interrupt.get("id"):
                continue
            value = interrupt.get("value")
            items.append(
                ServerInterrupt(
                    thread_id=str(thread.get("thread_id")),
                    interrupt_id=str(interrupt["id"]),
                    kind=kind_of(value).name,
                    value=value,
                    tool_calls=tool_calls,
                    created_at=created_at,
                    checkpoint_id=checkpoint_id,
                    task_id=task_id,
                    node=node,
                    response_schema=interrupt.get("response_schema"),
                    graph_id=metadata.get("graph_id"),
                    assistant_id=metadata.get("assistant_id"),
                )
            )
    return items


def _messages(values: dict) -> list[Any]:
    """The thread's messages as LangChain objects, so one renderer serves both sources."""
    raw = values.get("messages")
    if not isinstance(raw, list):
        return []
    messages = []
    for message in raw:
        try:
            messages.extend(convert_to_messages([message]))
        except Exception:  # another program's message shape: show it, never fail on it
            messages.append(SystemMessage(repr(message)))
    return messages


def _attach_claims(store: Store, items: list[ServerInterrupt]) -> None:
    active = claims.active_claims(store)
    for item in items:
        claim = active.get((item.thread_id, item.interrupt_id))
        item.claimed_by = claim["operator"] if claim else None
        item.claimed_at = claim["claimed_at"] if claim else None
        item.claim_state = claim["state"] if claim else None


def _problems(info: dict) -> list[str]:
    error = info.get("error")
    if info.get("status") == "error" and isinstance(error, dict):
        return [f"the last run failed: {error.get('error')}: {error.get('message')}"]
    return []


def _raise_if_failed(result: Any, what: str) -> None:
    error = result.get("__error__") if isinstance(result, dict) else None
    if error is not None:
        reason = (
            f"{error.get('error')}: {error.get('message')}" if isinstance(error, dict) else error
        )
        raise ResumeFailed(f"{what} failed on the Agent Server: {reason}")


def _timestamp(text: object) -> datetime:
    if isinstance(text, str):
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(text)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _check_uuid(thread_id: str) -> None:
    try:
        uuid.UUID(thread_id)
    except ValueError:
        raise UsageError(
            f"invalid thread id {thread_id[:40]!r}: the Agent Server's thread ids are UUIDs"
        ) from None
