"""Command-line entry point: argument parsing and printing only; the work is in the core."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from hitl_tui import __version__
from hitl_tui.errors import HitlError, UsageError, exit_code_of, user_message

EPILOG = """\
examples:
  hitl-tui                              both panes side by side (demo)
  hitl-tui ask "How do I configure SSL for nginx?"
  hitl-tui pending
  hitl-tui resume t-1a2b3c --data "Run certbot --nginx, then reload nginx."
  hitl-tui resume t-1a2b3c --approve
  hitl-tui resume t-1a2b3c --continue --update '{"step": 3}'
  hitl-tui watch --json --webhook https://hooks.slack.com/services/...
  hitl-tui db status

exit codes: 0 ok, 1 the graph failed or left the interrupt unanswered, 2 usage error,
bad --graph or Agent Server key refused, 3 thread or assistant not found or nothing pending,
4 claimed, being resumed or already answered by another operator (or an interrupted attempt
without --force), 5 database or Agent Server unreachable, 6 audit --verify found an altered,
inserted or missing event.
configuration: environment variables or a .env file (see .env.example).
"""


# What runs a command: (settings, parsed arguments, --graph or None) -> exit code.
Handler = Callable[[Any, argparse.Namespace, str | None], int]


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see {self.prog} --help)")


def _global_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("global options")
    group.add_argument(
        "--graph",
        metavar="MODULE_OR_FILE:ATTR",
        default=argparse.SUPPRESS,
        help="the graph to run: a StateGraph builder, compiled graph or "
        "zero-argument factory (default: the built-in support agent)",
    )
    group.add_argument(
        "--mongodb-uri",
        metavar="URI",
        default=argparse.SUPPRESS,
        help="MongoDB to use (default: MONGODB_URI, else the embedded server)",
    )
    group.add_argument(
        "--db-name",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="database of the checkpoints (default: HITL_DB_NAME or checkpointing_db)",
    )
    group.add_argument(
        "--server",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="take interrupts from this LangGraph Agent Server (default: LANGGRAPH_SERVER_URL)",
    )
    group.add_argument(
        "--assistant",
        metavar="ID",
        default=argparse.SUPPRESS,
        help="with --server: the assistant (or graph id) a new conversation runs on "
        "(default: LANGGRAPH_ASSISTANT, else the server's only graph)",
    )
    group.add_argument(
        "--api-key",
        metavar="KEY",
        default=argparse.SUPPRESS,
        help="the Agent Server's key (default: LANGGRAPH_API_KEY, which keeps it out of ps)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _global_options()
    parser = _Parser(
        prog="hitl-tui",
        description="Operator console for LangGraph human-in-the-loop interrupts saved in MongoDB.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"hitl-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    parser.set_defaults(handler=_console)

    def command(
        name: str, help_text: str, handler: Handler | None = None, **kwargs: Any
    ) -> argparse.ArgumentParser:
        found = sub.add_parser(
            name, help=help_text, description=help_text, parents=[common], **kwargs
        )
        found.set_defaults(handler=handler or _headless(name))
        return found

    user = command("user", "the chat pane only (the user's side)", _console)
    user.add_argument("--thread", metavar="ID", help="reopen this thread (default: a new one)")
    command("admin", "the operator pane only", _console)
    serve = command("serve", "serve the console in a web browser (for demos to a room)", _serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--mode", choices=["both", "user", "admin"], default="both")
    serve.add_argument(
        "--public",
        action="store_true",
        help="allow a non-loopback --host (put a TLS reverse proxy in front)",
    )
    serve.add_argument(
        "--max-sessions", type=int, default=4, metavar="N", help="browser sessions at once"
    )

    ask = command("ask", "send a user message; print the answer, or say the ticket waits")
    ask.add_argument("text", metavar="TEXT")
    ask.add_argument("--thread", metavar="ID", help="continue this thread (default: a new one)")
    ask.add_argument("--json", action="store_true", help="print JSON")

    pending = command("pending", "list every pending interrupt, decoded")
    pending.add_argument("--json", action="store_true", help="print JSON")

    show = command("show", "a thread's conversation, next nodes and pending interrupts")
    show.add_argument("thread", metavar="THREAD")
    show.add_argument("--json", action="store_true", help="print JSON")

    resume = command(
        "resume",
        "answer a pending interrupt and run the thread on",
        epilog="Each interrupt kind accepts the decisions that fit it; see `pending`.",
    )
    resume.add_argument("thread", metavar="THREAD")
    decision = resume.add_mutually_exclusive_group()  # none given: a message that helps
    decision.add_argument("--data", metavar="TEXT", help="answer a question with TEXT")
    decision.add_argument("--approve", action="store_true", help="approve the action or plan")
    decision.add_argument("--reject", action="store_true", help="reject the action or plan")
    decision.add_argument("--edit", metavar="JSON", help="approve with these arguments instead")
    decision.add_argument("--json-value", metavar="JSON", help="resume with this exact JSON value")
    decision.add_argument(
        "--continue",
        dest="continue_run",
        action="store_true",
        help="run on from a static breakpoint",
    )
    resume.add_argument(
        "--update", metavar="JSON", help="with --continue: update the state first (update_state)"
    )
    resume.add_argument("--reason", metavar="TEXT", help="why (with --reject)")
    resume.add_argument("--interrupt", metavar="ID", help="which interrupt, when several wait")
    resume.add_argument("--operator", metavar="NAME", help="who answers (default: HITL_OPERATOR)")
    resume.add_argument(
        "--force", action="store_true", help="take over an interrupted attempt (audited)"
    )
    resume.add_argument("--json", action="store_true", help="print JSON")

    release = command("release", "free a ticket claimed by an operator")
    release.add_argument("thread", metavar="THREAD")
    release.add_argument("--interrupt", metavar="ID", help="which interrupt, when several wait")
    release.add_argument(
        "--force", action="store_true", help="release an interrupted attempt (audited)"
    )

    audit = command("audit", "the claims and decisions taken, oldest first")
    audit.add_argument("thread", metavar="THREAD", nargs="?")
    audit.add_argument("--json", action="store_true", help="print JSON")
    audit.add_argument(
        "--verify", action="store_true", help="check the hash chain (exit 6 when broken)"
    )

    watch = command(
        "watch",
        "headless notifier: one line per event (new, overdue, answered, ...) on stdout",
        epilog="Watchers with the same --exec, --webhook and --events share the work.",
    )
    watch.add_argument("--exec", metavar="CMD", help="run CMD with each event's JSON on stdin")
    watch.add_argument("--webhook", metavar="URL", help="POST each event (Slack/Mattermost)")
    watch.add_argument(
        "--webhook-secret",
        metavar="S",
        help="sign webhook bodies with HMAC-SHA256 (default: HITL_WEBHOOK_SECRET)",
    )
    watch.add_argument(
        "--events",
        metavar="LIST",
        help="comma-separated: new,overdue,answered,interrupted_attempt,claim_lost (default: all)",
    )
    watch.add_argument("--json", action="store_true", help="print JSON lines")

    db = command("db", "manage the embedded database server", _db)
    db.add_argument(
        "action",
        choices=["start", "stop", "status", "init"],
        help="init: create the indexes hitl-tui needs (also on MongoDBSaver's collections)",
    )
    db.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from hitl_tui import output

    try:
        args = build_parser().parse_args(argv)
        return run(args)
    except HitlError as error:
        output.error(str(error))
        return error.exit_code
    except BrokenPipeError:  # the reader went away (e.g. `| head`): nothing more to say
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        output.error("interrupted")
        return 130
    except Exception as error:  # a last resort: one line, never a traceback
        output.error(user_message(error, "unexpected error"))
        return exit_code_of(error)


def settings_from(args: argparse.Namespace) -> Any:
    from pydantic import ValidationError

    from hitl_tui.settings import Settings

    overrides = {}
    if getattr(args, "mongodb_uri", None):
        overrides["mongodb_uri"] = args.mongodb_uri
    if getattr(args, "db_name", None):
        overrides["db_name"] = args.db_name
    if getattr(args, "server", None):
        overrides["langgraph_server_url"] = args.server
    if getattr(args, "api_key", None):
        overrides["langgraph_api_key"] = args.api_key
    if getattr(args, "assistant", None):
        overrides["langgraph_assistant"] = args.assistant
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        reason = str(first.get("msg", "")).removeprefix("Value error, ")
        raise UsageError(f"bad setting {where}: {reason}") from None


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    graph = getattr(args, "graph", None)
    if settings.langgraph_server_url and graph:
        raise UsageError("--graph does not go with --server: the Agent Server runs its graphs")
    return args.handler(settings, args, graph)


def _console(settings: Any, args: argparse.Namespace, graph: str | None) -> int:
    from hitl_tui.console.app import run_console

    return run_console(
        settings,
        mode=args.command or "both",
        graph_spec=graph,
        thread_id=getattr(args, "thread", None),
    )


def _serve(settings: Any, args: argparse.Namespace, graph: str | None) -> int:
    from hitl_tui.console.serve import serve

    return serve(
        settings,
        args.host,
        args.port,
        args.mode,
        graph,
        public=args.public,
        max_sessions=args.max_sessions,
    )


def _db(settings: Any, args: argparse.Namespace, graph: str | None) -> int:
    from hitl_tui.commands import db_command

    return db_command(settings, args.action, args.json)


def _headless(name: str) -> Handler:
    """`hitl_tui.commands.<name>_command`, imported only when that command runs."""

    def handler(settings: Any, args: argparse.Namespace, graph: str | None) -> int:
        from hitl_tui import commands

        return getattr(commands, f"{name}_command")(settings, args, graph)

    return handler


if __name__ == "__main__":
    sys.exit(main())
