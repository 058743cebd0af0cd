"""Identity: on an authenticated connection the database user the server vouches for is
recorded with every audit event; the operator name is only a display name."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pymongo import MongoClient

from tests.conftest import run_cli


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(tmp_path: Path, port: int, *flags: str) -> subprocess.Popen:
    config = tmp_path / "secantusd.toml"
    config.touch()
    daemon = Path(sys.executable).with_name("secantusd-py")
    process = subprocess.Popen(
        [
            str(daemon),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            str(tmp_path / "auth-db"),
            "--config",
            str(config),
            "--log-level",
            "ERROR",
            *flags,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("the authenticated server did not start")
            time.sleep(0.05)


@pytest.fixture
def authenticated_uri(tmp_path):
    port = _free_port()
    server = _serve(tmp_path, port)
    base = f"mongodb://127.0.0.1:{port}/?directConnection=true&retryWrites=false"
    with MongoClient(base) as client:
        client.admin.command("createUser", "auditor", pwd="s3cret-pw", roles=["root"])
    server.terminate()
    server.wait(timeout=30)
    server = _serve(tmp_path, port, "--auth")
    yield f"mongodb://auditor:s3cret-pw@127.0.0.1:{port}/?directConnection=true&retryWrites=false"
    server.terminate()
    server.wait(timeout=30)


def test_events_record_the_database_user_as_the_verified_identity(cli_env, authenticated_uri):
    env = {**cli_env, "MONGODB_URI": authenticated_uri, "HITL_OPERATOR": "the-boss"}
    asked = json.loads(run_cli(["ask", "Need a human", "--json"], env).stdout)
    done = run_cli(["resume", asked["thread_id"], "--data", "ok"], env)
    assert done.returncode == 0, done.stderr
    events = json.loads(run_cli(["audit", "--json"], env).stdout)
    assert {(e["operator"], e["identity"]) for e in events} == {("the-boss", "auditor@admin")}
    shown = run_cli(["audit"], env).stdout
    assert "the-boss [auditor@admin]" in shown
    assert "s3cret-pw" not in shown
