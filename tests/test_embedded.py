"""The embedded server: one per data directory, shared, detached, loopback only, durable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pymongo import MongoClient

from hitl_tui.db.embedded import EmbeddedServer
from tests.conftest import run_cli

STARTER = """
import sys
from hitl_tui.db.embedded import EmbeddedServer
print(EmbeddedServer(sys.argv[1]).ensure_running())
"""


@pytest.fixture
def private_server(tmp_path):
    server = EmbeddedServer(tmp_path / "data")
    yield server
    server.stop()


def _listening_addresses(port: int) -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_two_terminals_starting_together_share_one_server(private_server):
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, str(private_server.data_dir)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    uris = {s.communicate(timeout=60)[0].strip() for s in starters}
    assert len(uris) == 1, uris
    status = private_server.status()
    assert status.running and status.pid
    # Both starters have exited: the detached server outlives its first client.
    client = MongoClient(uris.pop(), serverSelectionTimeoutMS=3000)
    assert client.admin.command("ping")["ok"] == 1
    client.close()
    assert _listening_addresses(int(status.uri.rsplit(":", 1)[1])) == {"0100007F"}


def test_db_commands_and_status_contract(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "HITL_"))}
    env["HITL_DATA_DIR"] = str(tmp_path / "cli-data")
    try:
        stopped = json.loads(run_cli(["db", "status", "--json"], env).stdout)
        assert stopped == {
            "running": False,
            "uri": None,
            "data_dir": env["HITL_DATA_DIR"],
            "pid": None,
        }
        started = json.loads(run_cli(["db", "start", "--json"], env).stdout)
        assert started["running"] is True and started["uri"].startswith("mongodb://127.0.0.1:")
        assert isinstance(started["pid"], int)
        again = json.loads(run_cli(["db", "start", "--json"], env).stdout)
        assert again["pid"] == started["pid"]
        asked = run_cli(["ask", "hello?", "--json"], env)
        assert asked.returncode == 0, asked.stderr
        # The embedded server is ours: the saver's collections get our indexes on their own.
        client = MongoClient(EmbeddedServer(env["HITL_DATA_DIR"]).ensure_running())
        writes = client["checkpointing_db"]["checkpoint_writes"]
        indexed = [list(index["key"].items()) for index in writes.list_indexes()]
        client.close()
        assert [("channel", 1), ("_id", 1)] in indexed
    finally:
        assert run_cli(["db", "stop"], env).returncode == 0
    assert json.loads(run_cli(["db", "status", "--json"], env).stdout)["running"] is False


def test_db_start_refuses_when_mongodb_uri_is_set(cli_env):
    result = run_cli(["db", "start"], {**cli_env, "MONGODB_URI": "mongodb://u:pw@h:1/"})
    assert result.returncode == 2 and "pw" not in result.stderr


def test_kill_9_keeps_acknowledged_writes(private_server):
    uri = private_server.ensure_running()
    client = MongoClient(uri, serverSelectionTimeoutMS=3000)
    client.durability.docs.insert_many([{"n": n} for n in range(50)])
    client.close()
    os.kill(private_server.status().pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while private_server.status().running and time.monotonic() < deadline:
        time.sleep(0.05)
    uri = private_server.ensure_running()
    client = MongoClient(uri, serverSelectionTimeoutMS=5000)
    assert client.durability.docs.count_documents({}) == 50
    client.close()
