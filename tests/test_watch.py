"""The change-stream watcher: push where the server has change streams, a clear 'no' where not."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pymongo import MongoClient

from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.runtime import Hub
from hitl_tui.hitl.store import Store
from hitl_tui.hitl.watch import ChangeWatcher


def test_watcher_fires_on_an_interrupt_written_by_another_client(hub, settings):
    seen = threading.Event()
    watcher = ChangeWatcher(hub.store, seen.set).start()
    try:
        assert watcher.wait_ready(10) is True
        other = Hub(settings)
        try:
            ask(other, "Needs a human")
        finally:
            other.close()
        assert seen.wait(10), "no change event arrived"
    finally:
        watcher.stop()


@pytest.fixture
def standalone_uri(tmp_path):
    """A server that advertises itself as standalone: it refuses change streams, like a
    single mongod does."""
    (tmp_path / "empty.toml").touch()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    daemon = Path(sys.executable).with_name("secantusd-py")
    process = subprocess.Popen(
        [
            str(daemon),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            str(tmp_path / "db"),
            "--config",
            str(tmp_path / "empty.toml"),
            "--standalone",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"mongodb://127.0.0.1:{port}/?directConnection=true"
    process.terminate()
    process.wait(timeout=10)


def test_watcher_says_unsupported_on_a_standalone_server(standalone_uri):
    client = MongoClient(standalone_uri, serverSelectionTimeoutMS=3000)
    watcher = ChangeWatcher(Store(client, "plain"), lambda: None).start()
    try:
        assert watcher.wait_ready(10) is False
    finally:
        watcher.stop()
        client.close()
