"""The composition root: settings -> client -> store and saver -> graph, for every front-end."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from hitl_tui.db.client import Connection, connect
from hitl_tui.errors import UsageError
from hitl_tui.hitl.desk import Desk
from hitl_tui.hitl.store import Store
from hitl_tui.settings import Settings

EFFECTS = "hitl_effects"


class Hub:
    """What a command or the console needs: connect once, compile the graph on first use."""

    def __init__(
        self,
        settings: Settings,
        graph_spec: str | None = None,
        connection: Connection | None = None,
    ) -> None:
        self.settings = settings
        self.graph_spec = graph_spec
        self.connection = connection or connect(settings)
        self.store = Store(self.connection.client, settings.db_name)
        # Made now (they are made on first use): a bad LANGGRAPH_AES_KEY is refused here,
        # where the console says so and retries, not in every later read.
        self.store.reader  # noqa: B018
        if settings.audit_key is not None:  # the audit chain's links become HMACs
            self.store.audit_key = settings.audit_key.get_secret_value().encode()
        # Our own collections always; MongoDBSaver's only on the embedded server, which is
        # ours: on anyone else's database that is `hitl-tui db init`'s job.
        self.store.ensure_indexes(saver=self.connection.embedded)

    def index_hint(self) -> str | None:
        """One line when indexes our queries need are missing on a big saver collection."""
        if self.connection.embedded:
            return None
        return self.store.index_hint()

    @property
    def database_label(self) -> str:
        """Where the checkpoints are, for a status line (credentials never shown)."""
        where = "embedded " if self.connection.embedded else ""
        return where + self.connection.shown_uri

    @cached_property
    def model_label(self) -> str:
        if self.graph_spec:
            return f"graph {self.graph_spec}"
        from hitl_tui.agent.models import describe_model

        return describe_model(self.settings)

    @cached_property
    def _model_choice(self) -> Any:
        from hitl_tui.agent.models import choose_model

        return choose_model(self.settings)

    @cached_property
    def saver(self) -> Any:
        from hitl_tui.hitl.saver import LongThreadSaver

        return LongThreadSaver(
            self.connection.client, self.settings.db_name, serde=self.store.serde
        )

    @cached_property
    def graph(self) -> Any:
        from hitl_tui.agent.tools import use_ledger
        from hitl_tui.hitl.effects import EffectLedger

        # The built-in tools record their effects here, whichever graph uses them.
        use_ledger(EffectLedger(self.store.db[EFFECTS]))
        if self.graph_spec:
            from hitl_tui.agent.loader import load_graph
            from hitl_tui.hitl.breakpoints import breakpoints_of
            from hitl_tui.hitl.decoding import graph_serde

            graph = load_graph(self.graph_spec, self.saver)
            self.store.serde = graph_serde(graph, self.saver)
            self.store.breakpoints = breakpoints_of(graph)
            return graph
        from hitl_tui.agent.graph import build_support_graph

        return build_support_graph(self._model_choice.model).compile(checkpointer=self.saver)

    @cached_property
    def tool_schemas(self) -> dict[str, dict]:
        """Argument schemas of the graph's own tools, for checking edits."""
        from hitl_tui.hitl.tool_schemas import tool_arg_schemas

        return tool_arg_schemas(self.graph)

    @property
    def uses_builtin_graph(self) -> bool:
        return self.graph_spec is None

    def close(self) -> None:
        self.connection.close()


def connect_and_list(settings: Settings) -> tuple[Connection | None, list]:
    """The connection a console's desk will use (None where interrupts come from an Agent
    Server), and the listed tickets with their claims: the first inbox, read without
    loading LangGraph (see hitl.listing)."""
    if settings.langgraph_server_url:
        return None, []
    from hitl_tui.hitl import claims
    from hitl_tui.hitl.listing import read_listed

    connection = connect(settings)
    try:
        store = Store(connection.client, settings.db_name)
        listed = read_listed(store)
        if listed:
            claims.attach(store, listed)
    except BaseException:
        connection.close()
        raise
    return connection, listed


def build_desk(
    settings: Settings, graph_spec: str | None = None, connection: Connection | None = None
) -> Desk:
    """The desk every front-end works through: this process's own database, and the
    interrupts of an Agent Server when `LANGGRAPH_SERVER_URL` is set, else the checkpoints
    in that database answered with this process's graph."""
    if not settings.langgraph_server_url:
        return Desk(Hub(settings, graph_spec, connection))
    if graph_spec:
        raise UsageError("--graph does not go with --server: the Agent Server runs its graphs")
    from hitl_tui.sources.agent_server import AgentServerSource

    source = AgentServerSource.from_settings(settings)
    try:
        return Desk(Hub(settings, None, connection), source)
    except BaseException:
        source.close()
        raise
