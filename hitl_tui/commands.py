"""The headless commands (ask, pending, show, resume, release, audit, db): the seed's
user_main / admin_main without the prompts.

Every command goes through the desk, so each works the same whether the interrupts are
MongoDB checkpoints or on a LangGraph Agent Server (`--server URL`)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hitl_tui import output
from hitl_tui.errors import AuditBroken, ConflictError, NotFoundError, UsageError
from hitl_tui.hitl.humanize import age
from hitl_tui.settings import Settings

if TYPE_CHECKING:
    from hitl_tui.hitl.desk import Desk


def open_desk(settings: Settings, graph: str | None) -> Desk:
    """The desk for one command; say so when the embedded database has to start first."""
    from hitl_tui.runtime import build_desk

    if settings.uses_embedded_db:
        from hitl_tui.db.embedded import EmbeddedServer

        if not EmbeddedServer(settings.data_dir).status().running:
            output.note("starting the embedded database…")
    desk = build_desk(settings, graph)
    hint = desk.index_hint()
    if hint:
        output.hint(hint)
    return desk


def _print_message(message: Any) -> None:
    from hitl_tui.hitl.presentation import ROLE_COLOURS
    from hitl_tui.hitl.snapshot import message_as_json, message_text

    data = message_as_json(message)
    role = data["role"]
    style = f"bold {ROLE_COLOURS[role]}" if role in ROLE_COLOURS else "bold"
    text = message_text(message)
    calls = data["tool_calls"]
    if text:
        output.line((f"{role}: ", style), text)
    for call in calls:
        output.line(
            (f"{role}: ", style),
            ("calls ", "dim"),
            (str(call["name"]), "bold"),
            " ",
            json.dumps(call["args"], ensure_ascii=False),
        )


def ask_command(settings: Settings, args: argparse.Namespace, graph: str | None) -> int:
    from hitl_tui.hitl.sla import stamp

    with open_desk(settings, graph) as desk:
        if not args.json:
            output.line(("model: ", "dim"), (desk.model_label, "dim"))
        result = desk.ask(args.text, args.thread, None if args.json else _print_message)
    stamp(result.pending, settings.sla_policy)
    if args.json:
        output.json_line(result.as_json())
    elif result.status == "waiting":
        output.line(
            ("⏸ waiting for an operator", "bold yellow"), " on thread ", (result.thread_id, "bold")
        )
        for item in result.pending:
            output.line(("answer it with: ", "dim"), resume_hint(item, len(result.pending) > 1))
    else:
        output.line(("thread ", "dim"), (result.thread_id, "dim"))
    return 0


def _load_graph_for_listing(desk: Desk) -> None:
    """With --graph, its types and breakpoints help listing; listing works without them."""
    if not desk.graph_spec:
        return
    try:
        desk.load_graph()
    except UsageError as error:
        output.error(f"{error}; listing without it")


MAX_SHOWN_CHARS = 2000


def _shown(value: Any) -> str:
    """A payload for a terminal: long ones are cut, with how to see them whole."""
    from hitl_tui.hitl.jsonsafe import dumps

    text = dumps(value)
    if len(text) <= MAX_SHOWN_CHARS:
        return text
    return (
        text[:MAX_SHOWN_CHARS]
        + f"… ({len(text) - MAX_SHOWN_CHARS} more characters; see them all with --json)"
    )


class _FirstLookProgress:
    """The first look at a large history, on stderr once it has taken over a second."""

    def __init__(self, after: float = 1.0, every: float = 1.0) -> None:
        import time

        self._clock = time.monotonic
        self._shown_at = self._clock() + after - every
        self._every = every
        self._live = sys.stderr.isatty()

    def __call__(self, progress: Any) -> None:
        finished = progress.read >= progress.total
        if self._clock() - self._shown_at < self._every and not (finished and self._shown):
            return
        self._shown_at = self._clock()
        self._shown = True
        text = (
            f"reading the history: {progress.read:,} of {progress.total:,} {progress.unit}, "
            f"{progress.found:,} pending found"
        )
        sys.stderr.write(f"\r{text}\x1b[K" if self._live else text + "\n")
        if finished and self._live:
            sys.stderr.write("\n")
        sys.stderr.flush()

    _shown = False


def pending_command(settings: Settings, args: argparse.Namespace, graph: str | None) -> int:
    from hitl_tui.hitl.kinds import kind_named
    from hitl_tui.hitl.sla import ranked

    with open_desk(settings, graph) as desk:
        _load_graph_for_listing(desk)
        items = ranked(desk.pending(on_progress=_FirstLookProgress()), settings.sla_policy)
        problems = desk.problems
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
            *_graph_of(item),
            f"  {age(item.age_seconds())}",
            _deadline(item),
            (claimed, "yellow"),
        )
        _print_interrupted(item)
        output.line("  ", kind_named(item.kind).summary(item.value))
        for call in item.tool_calls:
            output.line(
                "  ",
                ("tool call ", "dim"),
                (str(call["name"]), "magenta"),
                " ",
                _shown(call["args"]),
            )
        output.line(("  interrupt ", "dim"), (item.interrupt_id, "dim"))
    for thread_id, found in problems.items():
        for problem in found:
            output.line(("! ", "bold red"), (thread_id, "bold"), "  ", problem)
    return 0


def _graph_of(item: Any) -> tuple[Any, ...]:
    """Which of the Agent Server's graphs holds the ticket or thread (none for checkpoints)."""
    graph = getattr(item, "graph_id", None)
    return (("  graph ", "dim"), str(graph)) if graph else ()


def _print_interrupted(item: Any) -> None:
    from hitl_tui.hitl.claims import interrupted_sentence

    if item.interrupted_attempt:
        output.line(
            ("  ⚠ interrupted attempt: ", "bold red"),
            interrupted_sentence(item.interrupted_attempt),
            ("  (resume --force takes it over)", "dim"),
        )


def show_command(settings: Settings, args: argparse.Namespace, graph: str | None) -> int:
    from hitl_tui.hitl.conversation import thread_json
    from hitl_tui.hitl.sla import stamp

    with open_desk(settings, graph) as desk:
        snapshot = desk.thread(args.thread)
    stamp(snapshot.pending, settings.sla_policy)
    if args.json:
        output.json_line(thread_json(snapshot))
        return 0
    print_thread(snapshot)
    return 0


def print_thread(thread: Any) -> None:
    """A thread for a terminal: its next nodes, messages, pending interrupts and problems."""
    output.line(
        ("thread ", "dim"),
        (thread.thread_id, "bold"),
        *_graph_of(thread),
        ("  next: ", "dim"),
        ", ".join(thread.next) or "(finished)",
    )
    for message in thread.messages:
        _print_message(message)
    for item in thread.pending:
        output.line(
            ("⏸ pending ", "bold yellow"),
            (item.kind, "cyan"),
            " ",
            _shown(item.value),
            ("  interrupt ", "dim"),
            (item.interrupt_id, "dim"),
        )
        _print_interrupted(item)
    for problem in thread.problems:
        output.line(("! ", "bold red"), problem)


def resume_hint(item: Any, name_interrupt: bool = False) -> str:
    """The `resume` command line for this ticket, with the decisions its kind allows."""
    from hitl_tui.hitl.kinds import FLAGS, JSON, kind_named

    allowed = kind_named(item.kind).decisions(item.value)
    flags = [FLAGS[d] for d in allowed if d in FLAGS and d != JSON] or [FLAGS[JSON]]
    which = f" --interrupt {item.interrupt_id}" if name_interrupt else ""
    return f"hitl-tui resume {item.thread_id}{which} " + " | ".join(flags)


def decision_from(args: argparse.Namespace) -> Any:
    from hitl_tui.hitl.kinds import APPROVE, CONTINUE, EDIT, JSON, REJECT, RESPOND, Decision

    chosen = [args.data, args.edit, args.json_value]
    picked = args.approve or args.reject or getattr(args, "continue_run", False)
    if not picked and all(value is None for value in chosen):
        if args.reason is not None:
            raise UsageError(
                "--reason is the reason of a rejection: add --reject "
                f"(hitl-tui resume {args.thread} --reject --reason TEXT)"
            )
        raise UsageError(
            "choose a decision: --data TEXT, --approve, --reject [--reason TEXT], --edit JSON, "
            "--json-value JSON or --continue (`hitl-tui pending` shows what each accepts)"
        )
    if args.reason is not None and not args.reject:
        raise UsageError("--reason only goes with --reject; approving or answering takes no reason")
    if getattr(args, "update", None) is not None and not args.continue_run:
        raise UsageError("--update goes with --continue")
    if args.continue_run:
        update = None if args.update is None else _json_argument("--update", args.update)
        if args.update is not None and not isinstance(update, dict):
            raise UsageError('--update is a JSON object of state keys, e.g. {"step": 3}')
        return Decision(CONTINUE, value=update)
    if args.data is not None:
        if not args.data.strip():
            raise UsageError("--data is empty; an operator's answer needs text")
        return Decision(RESPOND, text=args.data)
    if args.approve:
        return Decision(APPROVE)
    if args.reject:
        return Decision(REJECT, text=args.reason)
    if args.edit is not None:
        return Decision(EDIT, args=_json_argument("--edit", args.edit))
    value = _json_argument("--json-value", args.json_value)
    if value is None:
        raise UsageError("--json-value null cannot be sent: LangGraph reads null as no answer")
    return Decision(JSON, value=value)


def _json_argument(flag: str, text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise UsageError(f"{flag}: {constant} is not a JSON number; NaN and Infinity are refused")

    try:
        return json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as error:
        raise UsageError(
            f"{flag} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def _print_edit(desk: Desk, args: argparse.Namespace, decision: Any) -> None:
    """Show what the edit changes, once it is known to fit the tool, before it is sent."""
    from hitl_tui.hitl.edit_diff import edit_diff
    from hitl_tui.hitl.kinds import kind_named

    target = desk.target(args.thread, args.interrupt)
    desk.check(target, decision)
    original = kind_named(target.kind).editable(target.value)
    output.line(("edit ", "bold"), ("(- before, + sent)", "dim"))
    styles = {"-": "red", "+": "green", " ": "dim"}
    for sign, text in edit_diff(original, decision.args):
        output.line((f"  {sign} {text}", styles[sign]))


def resume_command(settings: Settings, args: argparse.Namespace, graph: str | None) -> int:
    from hitl_tui.hitl.identity import validate_operator
    from hitl_tui.hitl.kinds import EDIT

    decision = decision_from(args)
    operator = validate_operator(args.operator or settings.operator)
    desk = open_desk(settings, graph)
    try:
        if decision.action == EDIT and not args.json:
            _print_edit(desk, args, decision)
        result = desk.decide(
            args.thread,
            decision,
            operator,
            args.interrupt,
            on_message=None if args.json else _print_message,
            force=args.force,
        )
    except ConflictError as error:
        if "claimed by" not in str(error):
            raise
        raise ConflictError(
            f"{error}; if that claim is yours (a console left open or killed), free it with "
            f"`hitl-tui release {args.thread}` and resume again"
        ) from None
    finally:
        desk.close()
    if args.json:
        output.json_line(result.as_json())
    elif result.still_pending:
        output.line(
            ("⏸ the thread waits again: ", "bold yellow"),
            f"{len(result.still_pending)} pending interrupt(s)",
        )
    return 0


def release_command(settings: Settings, args: argparse.Namespace, graph: str | None) -> int:
    from hitl_tui.hitl.identity import validate_operator

    operator = validate_operator(settings.operator)
    with open_desk(settings, graph) as desk:
        target = desk.target(args.thread, args.interrupt)
        if not desk.release_any(
            target.thread_id, target.interrupt_id, operator, force=args.force
        ):
            raise NotFoundError(f"thread {args.thread} has no claim to release")
    output.line("released ", (args.thread, "bold"))
    return 0


def audit_command(settings: Settings, args: argparse.Namespace, graph: str | None) -> int:
    from hitl_tui.hitl.store import validate_thread_id

    if args.thread:
        validate_thread_id(args.thread)
    with open_desk(settings, graph) as desk:
        if args.verify:
            verdict = desk.verify_audit()
        else:
            entries = desk.history(args.thread)
    if args.verify:
        if verdict.intact:
            output.line(
                ("audit chain intact: ", "bold green"), f"{verdict.events} events ({verdict.alg})"
            )
            return 0
        raise AuditBroken(
            f"audit chain broken: {verdict.problem} ({verdict.events} events verified before it)"
        )
    if args.json:
        output.json_line(entries)
        return 0
    if not entries:
        output.line(("no decisions recorded", "dim"))
    for entry in entries:
        style = {"resumed": "green", "failed": "bold red", "abandoned": "bold red"}.get(
            entry["event"], "yellow"
        )
        decision = (entry.get("decision") or {}).get("action")
        who = entry["operator"] + (f" [{entry['identity']}]" if entry.get("identity") else "")
        output.line(
            (entry["at"][:19], "dim"),
            "  ",
            (entry.get("thread_id") or "-", "bold"),
            "  ",
            who,
            "  ",
            (entry["event"], style),
            f"  {decision}" if decision else "",
            f"  {entry['error']}" if entry.get("error") else "",
        )
    return 0


def watch_command(settings: Settings, args: argparse.Namespace, graph: str | None) -> int:
    from hitl_tui.oncall import watch

    return watch(settings, args)


def db_command(settings: Settings, action: str, as_json: bool) -> int:
    from hitl_tui.db.embedded import EmbeddedServer
    from hitl_tui.db.uri import redact_uri

    if action == "init":
        return _db_init(settings, as_json)
    server = EmbeddedServer(settings.data_dir)
    if settings.mongodb_uri and action != "status":
        raise UsageError(
            f"MONGODB_URI is set ({redact_uri(settings.mongodb_uri)}); "
            "the embedded database is not used"
        )
    if action == "start":
        server.ensure_running()
    elif action == "stop":
        stopped = server.stop()
        if not as_json:
            output.line("stopped" if stopped else "not running")
            return 0
    status = server.status()
    if as_json:
        output.json_line(status.as_json())
    elif status.running:
        output.line(
            ("running ", "bold green"), f"{status.uri}  pid {status.pid}  data {status.data_dir}"
        )
    else:
        output.line(("not running ", "bold yellow"), f"data {status.data_dir}")
    return 0


def _db_init(settings: Settings, as_json: bool) -> int:
    """Create the indexes hitl-tui's queries need, on MongoDBSaver's collections too:
    explicit, because on a production database that is the operator's call."""
    from hitl_tui.db.client import connect
    from hitl_tui.hitl.store import Store

    connection = connect(settings)
    try:
        Store(connection.client, settings.db_name).ensure_indexes(saver=True)
    finally:
        connection.close()
    if as_json:
        output.json_line({"initialised": True, "db_name": settings.db_name})
    else:
        output.line(
            ("indexes ready ", "bold green"), f"in {settings.db_name} at {connection.shown_uri}"
        )
    return 0


def _deadline(item: Any) -> tuple[str, str]:
    from hitl_tui.hitl.sla import is_overdue

    if item.due_at is None:
        return ("", "")
    now = datetime.now(UTC)
    if is_overdue(item, now):
        return (f"  OVERDUE by {age((now - item.due_at).total_seconds())}", "bold red")
    return (f"  due in {age((item.due_at - now).total_seconds())}", "yellow")
