"""`hitl-tui watch` as an OS process: --exec, a webhook, kill -9 in the middle of a burst."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import threading

import pytest
from langgraph.checkpoint.mongodb import MongoDBSaver

from tests.conftest import run_cli
from tests.graphs_oncall import open_ticket
from tests.oncall_helpers import Receiver, wait_for


class Watcher:
    """`hitl-tui watch --json ...` in its own process, its stdout lines collected."""

    def __init__(self, args: list[str], env: dict) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hitl_tui", "watch", "--json", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(json.loads(line))

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        _, stderr = self.process.communicate(timeout=20)
        assert self.process.returncode == 0, stderr
        return stderr

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)


@pytest.fixture
def saver(hub):
    return MongoDBSaver(hub.connection.client, hub.settings.db_name)


def test_exec_gets_each_event_on_stdin_and_stdout_stays_json(hub, saver, cli_env, tmp_path):
    record = tmp_path / "record.jsonl"
    command = f"cat >> {shlex.quote(str(record))}; echo noise"
    watcher = Watcher(["--exec", command, "--events", "new"], cli_env)
    try:
        open_ticket(saver, "t-exec", text="Printer on fire")
        wait_for(lambda: record.exists() and record.read_text().count("\n") == 1, what="exec")
        wait_for(lambda: watcher.lines, what="the stdout line")
        stderr = watcher.stop()
    finally:
        watcher.process.kill()
    received = json.loads(record.read_text())
    assert received == watcher.lines[0]
    assert received["type"] == "new" and received["summary"] == "Printer on fire"
    assert "noise" in stderr  # the command's output never mixes into the event lines


def test_bad_watch_arguments_exit_2_with_one_line(cli_env):
    for args in (["--events", "new,sometimes"], ["--webhook", "file:///etc/passwd"]):
        result = run_cli(["watch", *args], cli_env)
        assert result.returncode == 2, args
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_kill_9_mid_burst_then_restart_delivers_every_event_exactly_once(
    hub, saver, cli_env, tmp_path
):
    record = tmp_path / "record.jsonl"
    receiver = Receiver(secret="k")
    receiver.hold_at = 3  # the third webhook hangs: the watcher is killed right there
    env = {**cli_env, "HITL_WATCH_LEASE_SECONDS": "2", "HITL_WEBHOOK_SECRET": "k"}
    args = ["--exec", f"cat >> {shlex.quote(str(record))}", "--webhook", receiver.url]
    tickets = [f"t-burst-{n}" for n in range(6)]
    first = Watcher(args, env)
    try:
        for thread_id in tickets:
            open_ticket(saver, thread_id)
        assert receiver.holding.wait(30), "the burst never reached the third webhook"
        first.kill()
        receiver.release.set()
        second = Watcher(args, env)
        try:
            # The hung event's lease must run out before it is sent again: wait for that too.
            wait_for(lambda: len(receiver.requests) == 7, timeout=40, what="all webhooks")
            wait_for(lambda: len(set(receiver.accepted())) == 6, what="all accepted")
            wait_for(lambda: len(first.lines) + len(second.lines) == 6, what="all lines")
            second.stop()
        finally:
            second.process.kill()
    finally:
        first.process.kill()
        receiver.close()
    printed = [line["thread_id"] for line in first.lines + second.lines]
    assert sorted(printed) == tickets  # stdout: exactly once
    executed = [json.loads(line)["thread_id"] for line in record.read_text().splitlines()]
    assert sorted(executed) == tickets  # --exec: exactly once
    # The webhook that hung was sent again: the receiver sees its event id twice, and
    # X-Hitl-Event-Id lets it drop the repeat.
    posted = [r["id"] for r in receiver.requests]
    assert len(posted) == 7 and len(set(posted)) == 6
    assert all(r["signed_ok"] for r in receiver.requests)
