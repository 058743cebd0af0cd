"""Fixtures for tests against a real `langgraph dev` Agent Server: one server per test
session (per xdist worker), started by the first test that needs it. Threads are shared by
the whole session, so each test looks only at the threads it started."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langgraph_sdk import get_sync_client

from hitl_tui.hitl.desk import Desk
from hitl_tui.runtime import Hub
from hitl_tui.sources.agent_server import AgentServerSource
from tests.agent_server_launch import AgentServer, offline_env, running_agent_server


@pytest.fixture(scope="session")
def agent_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentServer]:
    with running_agent_server(tmp_path_factory.mktemp("agent-server")) as server:
        yield server


@pytest.fixture
def sdk(agent_server: AgentServer):
    client = get_sync_client(url=agent_server.url, api_key=agent_server.key)
    yield client
    client.close()


@pytest.fixture
def source(agent_server: AgentServer) -> Iterator[AgentServerSource]:
    source = AgentServerSource(agent_server.url, agent_server.key)
    yield source
    source.close()


@pytest.fixture
def env(cli_env: dict[str, str], agent_server: AgentServer) -> dict[str, str]:
    """A CLI process's environment: the test database for claims/audit, the test server."""
    env = offline_env(cli_env)
    env.update(LANGGRAPH_SERVER_URL=agent_server.url, LANGGRAPH_API_KEY=agent_server.key)
    return env


def server_desk(settings, agent_server: AgentServer, **options) -> Desk:
    """A desk of its own: its own database connection and HTTP client, like one operator."""
    return Desk(Hub(settings), AgentServerSource(agent_server.url, agent_server.key, **options))


def started(sdk, graph: str, values: dict) -> str:
    """A new thread on the server, run on `graph` until it stops."""
    thread = sdk.threads.create()["thread_id"]
    sdk.runs.wait(thread, graph, input=values)
    return thread
