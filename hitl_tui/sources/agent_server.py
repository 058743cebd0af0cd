"""Interrupts held by a LangGraph Agent Server (`langgraph dev`, `langgraph up`, the platform).

The server runs the graphs, so resuming needs no graph code here: only the interrupt's id
and the value its kind expects. What the server does not give, the desk keeps in hitl-tui's
own database: claims (exactly one operator resumes) and the audit trail. The server ignores
a stale interrupt id without an error, which is why the desk counts a resume as done only
when the interrupt is gone from the thread afterwards.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from langchain_core.messages import SystemMessage, convert_to_messages
from langgraph_sdk.client import SyncLangGraphClient

from hitl_tui.errors import HitlError, NotFoundError, UsageError
from hitl_tui.hitl.conversation import MAX_MESSAGE_CHARS, AskResult, last_answer
from hitl_tui.hitl.kinds import CONTINUE, Decision, kind_of
from hitl_tui.hitl.resume import ResumeFailed, one_line, resume_value_for
from hitl_tui.hitl.snapshot import PendingInterrupt, ThreadSnapshot, last_tool_calls
from hitl_tui.hitl.source import Answer, OnMessage, OnStep, Ran
from hitl_tui.hitl.store import validate_thread_id
from hitl_tui.sources.server_errors import ServerUnavailable, server_errors
from hitl_tui.sources.thread_stream import FOLLOW_READ_SECONDS, ThreadFollower

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
class ServerThread(ThreadSnapshot):
    """A thread's state on the server, with its run status and where it runs."""

    status: str = ""
    graph_id: str | None = None
    assistant_id: str | None = None

    def source_fields(self) -> dict:
        return {"status": self.status, "graph_id": self.graph_id, "assistant_id": self.assistant_id}


def shown_url(url: str) -> str:
    """The URL as it may be printed: no user or password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class AgentServerSource:
    """List, read, resume and start threads on one Agent Server (a desk's `Source`)."""

    graph_spec = None  # the server holds the graphs
    page = PAGE
    progress = None  # one search lists everything: no first look to report on
    complete = True

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        assistant: str | None = None,
        connect_timeout: float = 3.0,
        run_timeout: float = 600.0,
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise UsageError(f"--server wants an http(s) URL, not {shown_url(url)!r}")
        self.url = shown_url(url)
        self.assistant = assistant
        self.problems: dict[str, list[str]] = {}
        self._first_seen: dict[tuple[str, str], datetime] = {}
        # Our own HTTP client: the SDK's default retries a refused connection five times
        # with backoff (~11 s before "unreachable"), and would pick up keys from the
        # environment that the user never meant for this server.
        self._connection = {
            "base_url": url.rstrip("/"),
            "headers": {"x-api-key": api_key} if api_key else None,
        }
        self.connect_timeout = connect_timeout
        self.client = SyncLangGraphClient(
            httpx.Client(
                transport=httpx.HTTPTransport(retries=1),
                timeout=httpx.Timeout(run_timeout, connect=connect_timeout),
                **self._connection,
            )
        )

    @classmethod
    def from_settings(cls, settings: Any) -> AgentServerSource:
        """The server `LANGGRAPH_SERVER_URL` names, with its key and assistant."""
        return cls(
            settings.langgraph_server_url,
            settings.langgraph_api_key,
            assistant=settings.langgraph_assistant,
            connect_timeout=settings.connect_timeout_seconds,
        )

    def close(self) -> None:
        self.client.close()

    @property
    def label(self) -> str:
        return f"Agent Server {self.url}"

    @property
    def model_label(self) -> str:
        return f"assistant {self.assistant}" if self.assistant else "the server's graph"

    def load(self) -> None:
        """Nothing to compile: the server runs the graphs."""

    def new_thread_id(self) -> str:
        return str(uuid.uuid4())  # the server's thread ids are UUIDs

    def watch(self, on_change: Callable[[], None]) -> Any:
        """The server has no event feed for new interrupts: the inbox polls."""
        from hitl_tui.hitl.source import NoPush

        return NoPush()

    def follow(self, thread_id: str, on_change: Callable[[], None]) -> ThreadFollower:
        """Call `on_change` when a run on the thread starts or ends, or its state is updated
        (another operator answered, the graph moved on): the open ticket's live view."""
        _check_uuid(thread_id)
        client = httpx.Client(
            timeout=httpx.Timeout(FOLLOW_READ_SECONDS, connect=self.connect_timeout),
            **self._connection,
        )
        return ThreadFollower(client, thread_id, on_change).start()

    # -- reading ---------------------------------------------------------------------
    def pending(
        self,
        decode_limit: int | None = None,
        on_progress: Callable[[Any], None] | None = None,
        on_partial: Callable[[list[Any]], None] | None = None,
    ) -> list[ServerInterrupt]:
        """Every pending interrupt on the server, oldest first."""
        unique = {str(thread.get("thread_id")): thread for thread in self.interrupted_threads()}
        items: list[ServerInterrupt] = []
        for thread in unique.values():
            # The search result carries no checkpoint id; `show` gives the real one.
            found = _items(thread, _tasks_of_search(thread), thread.get("values"), "")
            items.extend(found or self._stop_at_breakpoint(thread))
        self._keep_first_seen(items)
        items.sort(key=lambda i: (i.created_at, i.thread_id, i.interrupt_id))
        return items

    def _keep_first_seen(self, items: list[ServerInterrupt]) -> None:
        """A ticket's age from when it was first listed: the server stamps only the
        thread, so answering one of two interrupts would make the other look new."""
        seen = {}
        for item in items:
            key = (item.thread_id, item.interrupt_id)
            item.created_at = min(item.created_at, self._first_seen.get(key, item.created_at))
            seen[key] = item.created_at
        self._first_seen = seen

    def _stop_at_breakpoint(self, thread: dict) -> list[ServerInterrupt]:
        """An interrupted thread with no interrupt stopped at a static breakpoint
        (interrupt_before/after); only its state says where."""
        thread_id = str(thread.get("thread_id"))
        with server_errors(self.url, missing=f"thread {thread_id} is gone"):
            state = self.client.threads.get_state(thread_id)
        return _thread_of(thread_id, thread, state).pending

    def interrupted_threads(self) -> list[dict]:
        """Every thread waiting at an interrupt, a page of PAGE at a time."""
        threads: list[dict] = []
        with server_errors(self.url):
            while True:
                page = self.client.threads.search(
                    status="interrupted",
                    sort_by="updated_at",
                    sort_order="asc",
                    limit=self.page,
                    offset=len(threads),
                )
                threads.extend(page)
                if len(page) < self.page:
                    return threads

    def thread(self, thread_id: str, checkpoint_id: str | None = None) -> ServerThread:
        """The thread now, or as it was at `checkpoint_id`."""
        validate_thread_id(thread_id)
        missing = f"thread {thread_id} not found on the Agent Server at {self.url}"
        with server_errors(self.url, missing=missing):
            info = self.client.threads.get(thread_id)
            state = self.client.threads.get_state(thread_id, checkpoint_id=checkpoint_id)
        return _thread_of(thread_id, info, state)

    def snapshot(self, thread_id: str, checkpoint_id: str | None = None) -> ServerThread | None:
        try:
            return self.thread(thread_id, checkpoint_id)
        except NotFoundError:
            return None

    def latest_checkpoint(self, thread_id: str) -> str | None:
        snapshot = self.snapshot(thread_id)
        return snapshot.checkpoint_id if snapshot else None

    def check_access(self) -> None:
        """One cheap request that custom auth checks: ServerRefused for a missing or
        refused key, ServerUnavailable when the server is down, NotFoundError for an
        assistant that is not there."""
        with server_errors(self.url):
            self.client.threads.search(limit=1)
        if self.assistant is not None:
            self.assistant_for(self.assistant)

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
    def ask(self, text: str, thread_id: str | None, on_message: OnMessage = None) -> AskResult:
        """Start a run with one user message; the answer, or the ticket now waiting.

        `on_message` gets each message the run added, once it has ended."""
        if not text.strip():
            raise UsageError("the message is empty")
        if len(text) > MAX_MESSAGE_CHARS:
            raise UsageError(f"the message is longer than {MAX_MESSAGE_CHARS} characters")
        assistant_id = self.assistant_for(self.assistant)
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
    def resume_value(self, item: PendingInterrupt, decision: Decision) -> Any:
        return resume_value_for(item, decision)

    def check_fits(self, target: PendingInterrupt) -> None:
        """The server has the graph of each of its threads."""

    def run(self, answer: Answer, on_step: OnStep) -> Ran:
        """One run that answers the interrupt by its id, to the thread's next stop."""
        target, before = answer.target, answer.before
        assistant = (
            getattr(before, "assistant_id", None)
            or getattr(before, "graph_id", None)
            or getattr(target, "assistant_id", None)
        )
        if answer.decision.action == CONTINUE:  # a static breakpoint: run on from here
            run: dict[str, Any] = {"input": None}
        else:  # always by id: a bare value with several interrupts pending fails the run
            run = {"command": {"resume": {target.interrupt_id: answer.value}}}
        with (
            _outcome_unknown_if_lost(target),
            server_errors(self.url, missing=f"assistant {assistant!r} not found"),
        ):
            if answer.decision.action == CONTINUE and answer.decision.value is not None:
                self.client.threads.update_state(target.thread_id, answer.decision.value)
            result = self.client.runs.wait(
                target.thread_id,
                str(assistant),
                **run,
                multitask_strategy="reject",
                raise_error=False,
            )
        _raise_if_failed(result, f"resuming thread {target.thread_id}")
        with _outcome_unknown_if_lost(target):
            after = self.thread(target.thread_id)
        on_step(after.messages[len(before.messages) :])
        return Ran(after)

    def failure(self, error: Exception, target: PendingInterrupt) -> Exception:
        if isinstance(error, HitlError):
            return error
        return ResumeFailed(f"resuming thread {target.thread_id} failed: {one_line(error)}")


class OutcomeUnknown(ServerUnavailable):
    """The server went away after our answer was sent: it may or may not have run, so the
    claim is kept (an interrupted attempt) and nobody runs the action again unawares."""

    keeps_claim = True


@contextlib.contextmanager
def _outcome_unknown_if_lost(target: PendingInterrupt) -> Iterator[None]:
    try:
        yield
    except ServerUnavailable as error:
        raise OutcomeUnknown(
            f"{error} The answer to thread {target.thread_id} may have been applied; "
            "the ticket shows an interrupted attempt until someone checks it with "
            f"`hitl-tui show {target.thread_id}` (resume --force takes it over)."
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


def _breakpoint(
    thread: dict, values: dict, checkpoint_id: str, next_nodes: list[str]
) -> ServerInterrupt:
    """A stop at a static breakpoint as a ticket, named after its checkpoint like the
    MongoDB source's: continuing moves the thread on, so the ticket is gone afterwards.
    A stop after a node is a stop before the next, which is what `next` names."""
    metadata = thread.get("metadata") or {}
    return ServerInterrupt(
        thread_id=str(thread.get("thread_id")),
        interrupt_id=f"breakpoint-{checkpoint_id}",
        kind="breakpoint",
        value={"when": "before", "next": next_nodes, "state_keys": sorted(values)},
        tool_calls=last_tool_calls(_messages(values)),
        created_at=_timestamp(thread.get("updated_at")),
        checkpoint_id=checkpoint_id,
        task_id="",
        node=next_nodes[0],
        graph_id=metadata.get("graph_id"),
        assistant_id=metadata.get("assistant_id"),
    )


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


def _thread_of(thread_id: str, info: dict, state: dict) -> ServerThread:
    values = state.get("values") if isinstance(state.get("values"), dict) else {}
    tasks = [
        (str(t.get("id", "")), str(t.get("name", "?")), t.get("interrupts") or [])
        for t in state.get("tasks") or []
    ]
    checkpoint_id = str((state.get("checkpoint") or {}).get("checkpoint_id", ""))
    metadata = info.get("metadata") or {}
    next_nodes = [str(n) for n in state.get("next") or []]
    pending = _items(info, tasks, values, checkpoint_id)
    if not pending and next_nodes and info.get("status") == "interrupted":
        pending = [_breakpoint(info, values, checkpoint_id, next_nodes)]
    return ServerThread(
        thread_id=thread_id,
        checkpoint_id=checkpoint_id,
        created_at=_timestamp(state.get("created_at") or info.get("updated_at")),
        messages=_messages(values),
        next=next_nodes,
        pending=pending,
        problems=_problems(info),
        status=str(info.get("status", "")),
        graph_id=metadata.get("graph_id"),
        assistant_id=metadata.get("assistant_id"),
    )


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
