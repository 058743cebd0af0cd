"""What the console checks before it takes over the terminal.

A mistake only the operator can fix (a `--graph` that does not load, a MongoDB URI the
driver refuses, an Agent Server key it refuses, an assistant it does not have) ends the
command with its exit code and one line, instead of a console that reports a lost
database and retries forever. An unreachable server is not checked here: the console
starts anyway, says so, and connects once the server is up.
"""

from __future__ import annotations

from hitl_tui.errors import UsageError
from hitl_tui.settings import Settings


def check_before_start(settings: Settings, graph_spec: str | None) -> None:
    if settings.mongodb_uri:
        from hitl_tui.db.client import check_uri

        check_uri(settings.mongodb_uri)
    if graph_spec:
        check_graph(graph_spec)
    if settings.langgraph_server_url:
        check_server(settings)


def check_server(settings: Settings) -> None:
    from hitl_tui.sources.agent_server import AgentServerSource
    from hitl_tui.sources.server_errors import ServerUnavailable

    source = AgentServerSource.from_settings(settings)
    try:
        source.check_access()
    except ServerUnavailable:
        pass  # down for now: the console waits for it
    finally:
        source.close()


def check_graph(spec: str) -> None:
    """Load and compile the graph `spec` names (against a throwaway in-memory saver; the
    console binds it to the database's saver once connected)."""
    from langgraph.checkpoint.memory import InMemorySaver

    from hitl_tui.agent.loader import load_graph

    try:
        load_graph(spec, InMemorySaver())
    except UsageError as error:
        reason = str(error).removeprefix("--graph: ")
        raise UsageError(f"cannot load graph {spec!r}: {reason}") from None
