"""Fixtures: a real MongoDB wire-protocol server (SecantusDB started here, or MONGODB_URI),
a fresh database per test, settings that ignore the developer's own environment."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from hitl_tui.db.embedded import EmbeddedServer
from hitl_tui.runtime import EFFECTS, Hub
from hitl_tui.settings import Settings

pytest_plugins = ["tests.agent_server_fixtures"]

# The developer's own configuration must never leak into a test.
for _name in (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "HITL_OPERATOR",
    "HITL_DB_NAME",
    "HITL_POLL_SECONDS",
    "HITL_DATA_DIR",
    "HITL_CLAIM_SECONDS",
    "HITL_CONFIRM",
    "HITL_SCREENSHOT_DIR",
):
    os.environ.pop(_name, None)
_EXTERNAL_URI = os.environ.pop("MONGODB_URI", None)
os.environ["HITL_BELL"] = "false"


@pytest.fixture(scope="session")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embedded")


@pytest.fixture(scope="session")
def mongodb_uri(server_dir: Path) -> Iterator[str]:
    """The URI of the server every test uses: MONGODB_URI, or an embedded one of our own."""
    if _EXTERNAL_URI:
        yield _EXTERNAL_URI
        return
    server = EmbeddedServer(server_dir)
    uri = server.ensure_running()
    yield uri
    server.stop()


@pytest.fixture
def db_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def settings(mongodb_uri: str, db_name: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        mongodb_uri=mongodb_uri,
        db_name=db_name,
        data_dir=tmp_path / "data",
        operator="alice",
        poll_seconds=0.2,
        claim_seconds=60,
        bell=False,
    )


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    hub = Hub(settings)
    yield hub
    hub.connection.client.drop_database(settings.db_name)
    hub.close()


@pytest.fixture
def mongo(mongodb_uri: str) -> Iterator[MongoClient]:
    client: MongoClient = MongoClient(mongodb_uri, serverSelectionTimeoutMS=3000)
    yield client
    client.close()


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    """Environment for running `hitl-tui` as a separate OS process against the test database."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "HITL_", "MONGODB_"))
    }
    env.update(
        MONGODB_URI=str(settings.mongodb_uri),
        HITL_DB_NAME=settings.db_name,
        HITL_DATA_DIR=str(settings.data_dir),
        HITL_OPERATOR="bob",
        HITL_BELL="false",
        PYTHONUNBUFFERED="1",
    )
    return env


def done_effects(hub: Hub) -> list[str]:
    """The actions the built-in tools carried out, oldest first, as their ledger records them."""
    done = hub.store.db[EFFECTS].find({"state": "done"}).sort("started_at", 1)
    return [record["action"] for record in done]


def run_cli(
    args: list[str], env: dict[str, str], timeout: float = 60, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m hitl_tui ARGS` in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "hitl_tui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


@pytest.fixture
def unused_port_uri() -> str:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"mongodb://ops:hunter2@127.0.0.1:{port}/"
