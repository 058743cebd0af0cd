"""The stored view of a thread agrees with the graph's own `get_state()`, for every shape of
graph people write: when a LangGraph upgrade changes a channel, task-path or document
format, the case that breaks names the shape."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.messages import HumanMessage
from langgraph.types import Command

from hitl_tui.hitl import langgraph_compat as compat
from hitl_tui.runtime import Hub


def _answer_first_branch(hub: Hub, config: dict) -> None:
    """Answer one of two parallel interrupts, so the other waits beside a finished task."""
    first = sorted(hub.graph.get_state(config).interrupts, key=lambda i: i.id)[0]
    hub.graph.invoke(Command(resume={first.id: {"data": "yes"}}), config)


ASK = {"messages": [HumanMessage("How do I configure SSL for nginx?")]}
SHAPES = {
    "seed_tool_node": ("tests.seed_app.graph:graph_builder", ASK, None),
    "send": ("tests.graphs.patterns:send_fan_out", {"votes": []}, None),
    "subgraph": ("tests.graphs.patterns:subgraph", {"votes": []}, None),
    "parallel_branches": ("tests.graphs_hitl:parallel", {"log": []}, None),
    "parallel_one_answered": ("tests.graphs_hitl:parallel", {"log": []}, _answer_first_branch),
    "two_in_one_node": ("tests.graphs.patterns:two_in_one_node", {}, None),
    "functional_api": ("tests.graphs.patterns:essay_workflow", "hitl", None),
    "middleware_per_call": ("tests.graphs.middleware:per_call", ASK, None),
    "middleware_batched": ("tests.graphs_hitl:batched", ASK, None),
    "async_nodes": ("tests.graphs.patterns:async_graph", {}, None),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_stored_view_agrees_with_get_state(settings, shape):
    spec, graph_input, then = SHAPES[shape]
    hub = Hub(settings, graph_spec=spec)
    try:
        config = compat.thread_config(f"compat-{shape}")
        if shape == "async_nodes":
            asyncio.run(hub.graph.ainvoke(graph_input, config))
        else:
            hub.graph.invoke(graph_input, config)
        if then is not None:
            then(hub, config)
        expected = compat.graph_view(hub.graph, f"compat-{shape}")
        assert expected["interrupts"], "the graph did not stop at an interrupt"
        view = compat.read_thread(
            hub.store.checkpoints, hub.store.writes, hub.store.serde, f"compat-{shape}"
        )
        assert view is not None and view.problems == []
        assert sorted(view.next) == expected["next"]
        assert sorted(i.interrupt_id for i in view.interrupts) == expected["interrupts"]
        assert sorted((i.task_id, i.node) for i in view.interrupts) == expected["tasks"]
    finally:
        hub.connection.client.drop_database(settings.db_name)
        hub.close()


def test_task_paths_name_pulled_and_sent_nodes():
    class Sent:
        node = "item_review"

    assert compat.node_of("~__pregel_pull, review") == "review"
    assert compat.node_of("~__pregel_push, 1, False", [Sent(), Sent()]) == "item_review"
    assert compat.node_of("~__pregel_push, 5, False", [Sent()]) == compat.UNKNOWN_NODE
    assert compat.node_of(None) == compat.UNKNOWN_NODE


def test_next_nodes_come_from_branch_channels():
    values = {"branch:to:tools": None, "messages": [], "__pregel_tasks": []}
    assert compat.next_nodes(values) == ["tools"]
    assert compat.state_keys(values) == ["messages"]


def test_a_compiled_graph_keeps_its_own_savers_settings(settings, mongo, monkeypatch):
    """Re-binding a compiled graph to our saver keeps the serializer and checkpoint TTL its
    author set up, instead of silently writing with defaults."""
    import types

    from langgraph.checkpoint.mongodb import MongoDBSaver
    from langgraph.checkpoint.serde.encrypted import EncryptedSerializer

    from hitl_tui.agent.loader import load_graph
    from tests.graphs.patterns import two_in_one_node

    monkeypatch.setenv("LANGGRAPH_AES_KEY", "0123456789abcdef")
    own = MongoDBSaver(
        mongo,
        settings.db_name,
        ttl=3600,
        serde=EncryptedSerializer.from_pycryptodome_aes(),
    )
    module = types.ModuleType("hitl_compat_own_saver")
    module.graph = two_in_one_node().compile(checkpointer=own)
    monkeypatch.setitem(__import__("sys").modules, module.__name__, module)
    ours = MongoDBSaver(mongo, settings.db_name)
    loaded = load_graph(f"{module.__name__}:graph", ours)
    assert loaded.checkpointer is ours
    assert ours.ttl == 3600 and ours.serde is own.serde
    loaded.invoke({}, compat.thread_config("own-saver"))
    stored = mongo[settings.db_name]["checkpoints"].find_one({"thread_id": "own-saver"})
    assert stored["type"].endswith("+aes") and "created_at" in stored
    mongo.drop_database(settings.db_name)
