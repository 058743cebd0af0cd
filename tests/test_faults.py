"""Faults: a server lost during a resume, a resumer killed with -9, an outage in the console."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hitl_tui.console.app import HitlApp
from hitl_tui.db.embedded import EmbeddedServer
from hitl_tui.runtime import Hub
from hitl_tui.settings import Settings
from tests.conftest import run_cli
from tests.console_helpers import wait_until

SLOW = ["--graph", "tests.graphs_faults:slow_graph"]


@pytest.fixture
def private(tmp_path, cli_env):
    """A server of our own, so the test may stop, kill and restart it."""
    server = EmbeddedServer(tmp_path / "private")
    uri = server.ensure_running()
    log = tmp_path / "actions.log"
    log.touch()
    env = {
        **cli_env,
        "MONGODB_URI": uri,
        "ACTION_LOG": str(log),
        "BLOCK_UNTIL": str(tmp_path / "gate"),
        "HITL_CLAIM_SECONDS": "1",
        "HITL_CONNECT_TIMEOUT": "2",
    }
    yield server, env, log, tmp_path / "gate"
    server.stop()


def _settings(env: dict) -> Settings:
    return Settings(
        _env_file=None,
        mongodb_uri=env["MONGODB_URI"],
        db_name=env["HITL_DB_NAME"],
        operator="alice",
        claim_seconds=1,
        connect_timeout_seconds=2,
    )


def _pending_thread(env: dict, thread: str) -> None:
    hub = Hub(_settings(env), graph_spec="tests.graphs_faults:slow_graph")
    hub.graph.invoke({"messages": []}, {"configurable": {"thread_id": thread}})
    hub.close()


def _wait_for_line(log: Path, line: str, count: int = 1, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while log.read_text().splitlines().count(line) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{line!r} never appeared in the action log")
        time.sleep(0.02)


def test_resumer_killed_with_9_leaves_a_true_state_and_nothing_runs_twice(private):
    server, env, log, gate = private
    _pending_thread(env, "k9")
    victim = subprocess.Popen(
        [sys.executable, "-m", "hitl_tui", "resume", "k9", "--data", "go", *SLOW],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for_line(log, "started")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)

    shown = json.loads(run_cli(["show", "k9", "--json"], env).stdout)
    assert len(shown["pending"]) == 1  # the tool never finished: still pending
    attempt = _wait_for_interrupted_attempt(env, "k9")
    assert attempt["operator"] == "bob" and attempt["decision"] == "respond"
    gate.touch()
    refused = run_cli(["resume", "k9", "--data", "again", *SLOW], env)
    assert refused.returncode == 4 and "never finished" in refused.stderr
    result = run_cli(["resume", "k9", "--data", "again", "--force", "--json", *SLOW], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["answer"] == "done: again"
    assert log.read_text().splitlines().count("finished") == 1
    events = [e["event"] for e in json.loads(run_cli(["audit", "k9", "--json"], env).stdout)]
    # the killed attempt is visible, and so is the takeover
    assert events == ["claimed", "started", "abandoned", "forced", "claimed", "started", "resumed"]
    assert run_cli(["audit", "--verify"], env).returncode == 0


def _wait_for_interrupted_attempt(env: dict, thread: str, timeout: float = 30) -> dict:
    """The killed resumer's lease runs out once its heartbeat is gone: wait for that."""
    from hitl_tui.hitl.desk import Desk

    hub = Hub(_settings(env), graph_spec="tests.graphs_faults:slow_graph")
    try:
        deadline = time.monotonic() + timeout
        while True:
            [item] = Desk(hub).thread(thread).pending
            if item.interrupted_attempt or time.monotonic() > deadline:
                return item.interrupted_attempt
            time.sleep(0.1)
    finally:
        hub.close()


def test_server_stopped_during_a_cli_resume_then_restarted(private):
    server, env, log, gate = private
    _pending_thread(env, "outage")
    resumer = subprocess.Popen(
        [sys.executable, "-m", "hitl_tui", "resume", "outage", "--data", "go", *SLOW],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_line(log, "started")
    server.stop()
    gate.touch()
    _, stderr = resumer.communicate(timeout=60)
    assert resumer.returncode == 5, stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr

    uri = server.ensure_running()
    env = {**env, "MONGODB_URI": uri}
    shown = json.loads(run_cli(["show", "outage", "--json"], env).stdout)
    assert len(shown["pending"]) == 1  # nothing half written: still pending, answerable
    # its resumer could not say how far it got: an interrupted attempt, taken over on purpose
    assert _wait_for_interrupted_attempt(env, "outage")["operator"] == "bob"
    result = run_cli(["resume", "outage", "--data", "again", "--force", *SLOW], env)
    assert result.returncode == 0, result.stderr


async def test_console_survives_a_server_restart(private):
    server, env, log, gate = private
    settings = _settings(env)
    gate.touch()
    app = HitlApp(settings, "both")
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_until(pilot, lambda: app.desk is not None, what="connection")
        await wait_until(
            pilot,
            lambda: (
                app.query_one("#inbox").row_count == 0
                and app.query_one("StatusBar").connection == "connected"
            ),
            what="inbox",
        )
        server.stop()
        await wait_until(
            pilot, lambda: app.query_one("#banner").display, timeout=20, what="outage banner"
        )
        assert app.query_one("StatusBar").connection == "disconnected"
        for char in "still here":
            await pilot.press(char if char != " " else "space")
        assert server.ensure_running() == settings.mongodb_uri  # back on the same port
        await wait_until(
            pilot, lambda: not app.query_one("#banner").display, timeout=30, what="recovery"
        )
        assert app.query_one("#chat-input").text == "still here"
