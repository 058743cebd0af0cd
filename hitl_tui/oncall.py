"""`hitl-tui watch`: wire the command line to the notifier, and stop cleanly on a signal."""

from __future__ import annotations

import argparse
import signal
from typing import Any

from hitl_tui import output
from hitl_tui.errors import UsageError
from hitl_tui.settings import Settings


def event_types(text: str | None) -> tuple[str, ...]:
    from hitl_tui.hitl.events import EVENT_TYPES

    if text is None:
        return EVENT_TYPES
    chosen = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [name for name in chosen if name not in EVENT_TYPES]
    if unknown or not chosen:
        raise UsageError(f"--events takes a comma-separated list of {', '.join(EVENT_TYPES)}")
    return chosen


def outputs_from(args: argparse.Namespace, settings: Settings) -> list[Any]:
    from hitl_tui.hitl.sinks import ExecOutput, StdoutOutput, WebhookOutput

    secret = args.webhook_secret or (
        settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    )
    if args.webhook_secret and not args.webhook:
        raise UsageError("--webhook-secret goes with --webhook")
    outputs: list[Any] = [StdoutOutput(args.json)]
    if args.exec:
        outputs.append(ExecOutput(args.exec))
    if args.webhook:
        outputs.append(WebhookOutput(args.webhook, secret))
    return outputs


def watch(settings: Settings, args: argparse.Namespace) -> int:
    from hitl_tui.db.client import connect
    from hitl_tui.hitl.delivery import group_of
    from hitl_tui.hitl.store import Store

    types = event_types(args.events)
    outputs = outputs_from(args, settings)
    group = group_of({"exec": args.exec, "webhook": args.webhook, "events": sorted(types)})
    if settings.langgraph_server_url:
        return _watch_server(settings, outputs, group, types)
    connection = connect(settings, ping=False)
    try:
        _run(_notifier(settings, Store(connection.client, settings.db_name), outputs, group, types))
    finally:
        connection.close()
    return 0


def _watch_server(settings: Settings, outputs: list[Any], group: str, types: tuple) -> int:
    """The Agent Server's tickets, polled within the poll interval; events, claims and
    deliveries in hitl-tui's own database. A refused key or a server that is down at the
    start ends the command with its exit code; later, the watcher waits for it."""
    from hitl_tui.runtime import build_desk

    with build_desk(settings) as desk:
        desk.pending()
        store = desk.runtime.store
        _run(_notifier(settings, store, outputs, group, types, desk.pending, desk.watch))
    return 0


def _notifier(
    settings: Settings,
    store: Any,
    outputs: list[Any],
    group: str,
    types: tuple,
    pending: Any = None,
    watch: Any = None,
) -> Any:
    from hitl_tui.hitl.delivery import DeliveryLog
    from hitl_tui.hitl.notifier import Notifier

    return Notifier(
        store,
        outputs,
        DeliveryLog(store, group, types, settings.watch_lease_seconds),
        settings.sla_policy,
        poll_seconds=settings.poll_seconds,
        change_streams=settings.change_streams,
        warn=output.error,
        pending=pending,
        watch=watch,
    )


def _run(notifier: Any) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: notifier.stop())
    notifier.run()
