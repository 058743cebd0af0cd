"""The headless commands against a LangGraph Agent Server (`--server URL`).

Same output and exit codes as with MongoDB checkpoints; the graph runs on the server, and
claims and the audit stay in hitl-tui's own database.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hitl_tui import output
from hitl_tui.commands import _print_message, decision_from, open_desk, print_thread
from hitl_tui.errors import NotFoundError, UsageError
from hitl_tui.hitl.humanize import age
from hitl_tui.hitl.kinds import kind_named
from hitl_tui.hitl.snapshot import message_as_json
from hitl_tui.settings import Settings
from hitl_tui.sources.agent_server import AgentServerSource


def run(settings: Settings, args: argparse.Namespace, command: str) -> int:
    handler: Callable[..., int] | None = globals().get(f"{command}_command")
    if handler is None:
        raise UsageError(
            f"`{command}` does not work with --server yet; use ask, pending, show, resume, "
            "release or audit"
        )
    return handler(settings, args)


@contextmanager
def _source(settings: Settings) -> Iterator[AgentServerSource]:
    source = AgentServerSource(
        str(settings.langgraph_server_url),
        settings.langgraph_api_key,
        connect_timeout=settings.connect_timeout_seconds,
    )
    try:
        yield source
    finally:
        source.close()


@contextmanager
def _own_store(settings: Settings) -> Iterator[Any]:
    with open_desk(settings, None) as desk:
        yield desk.runtime.store


def pending_command(settings: Settings, args: argparse.Namespace) -> int:
    with _source(settings) as source, _own_store(settings) as store:
        items = source.pending(store)
    if args.json:
        output.json_line([item.as_json() for item in items])
        return 0
    if not items:
        output.line(("nothing pending", "dim"))
    for item in items:
        claimed = f"  claimed by {item.claimed_by}" if item.claimed_by else ""
        output.line(
            (item.thread_id, "bold"),
            "  ",
            (item.kind, "cyan"),
            ("  graph ", "dim"),
            str(item.graph_id),
            f"  {age(item.age_seconds())}",
            (claimed, "yellow"),
        )
        output.line("  ", kind_named(item.kind).summary(item.value))
        for call in item.tool_calls:
            output.line(
                "  ",
                ("tool call ", "dim"),
                (str(call["name"]), "magenta"),
                " ",
                json.dumps(call["args"], ensure_ascii=False),
            )
        output.line(("  interrupt ", "dim"), (item.interrupt_id, "dim"))
    return 0


def show_command(settings: Settings, args: argparse.Namespace) -> int:
    with _source(settings) as source, _own_store(settings) as store:
        thread = source.thread(args.thread, store)
    if args.json:
        output.json_line(
            {
                "thread_id": thread.thread_id,
                "next": thread.next,
                "messages": [message_as_json(m) for m in thread.messages],
                "pending": [p.as_json() for p in thread.pending],
                "problems": thread.problems,
                "status": thread.status,
                "graph_id": thread.graph_id,
                "assistant_id": thread.assistant_id,
            }
        )
        return 0
    print_thread(thread, ("  graph ", "dim"), str(thread.graph_id))
    return 0


def resume_command(settings: Settings, args: argparse.Namespace) -> int:
    decision = decision_from(args)
    operator = args.operator or settings.operator
    with _source(settings) as source, _own_store(settings) as store:
        result = source.resume(
            store,
            args.thread,
            decision,
            operator,
            args.interrupt,
            claim_seconds=settings.claim_seconds,
        )
    if args.json:
        output.json_line(result.as_json())
    elif result.still_pending:
        output.line(
            ("⏸ the thread waits again: ", "bold yellow"),
            f"{len(result.still_pending)} pending interrupt(s)",
        )
    elif result.answer:
        output.line(("assistant: ", "bold green"), result.answer)
    return 0


def release_command(settings: Settings, args: argparse.Namespace) -> int:
    from hitl_tui.hitl import claims

    with _source(settings) as source, _own_store(settings) as store:
        target = source.target(store, args.thread, args.interrupt)
        if not claims.release_any(
            store,
            target.thread_id,
            target.interrupt_id,
            settings.operator,
            force=getattr(args, "force", False),
        ):
            raise NotFoundError(f"thread {args.thread} has no claim to release")
    output.line("released ", (args.thread, "bold"))
    return 0


def ask_command(settings: Settings, args: argparse.Namespace) -> int:
    with _source(settings) as source:
        result = source.ask(
            args.text,
            args.assistant,
            args.thread,
            on_message=None if args.json else _print_message,
        )
    if args.json:
        output.json_line(result.as_json())
    elif result.status == "waiting":
        output.line(
            ("⏸ waiting for an operator", "bold yellow"), " on thread ", (result.thread_id, "bold")
        )
        output.line(("answer it with: ", "dim"), f"hitl-tui resume {result.thread_id} --data TEXT")
    else:
        output.line(("thread ", "dim"), (result.thread_id, "dim"))
    return 0
