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
from pymongo.errors import AutoReconnect

from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.store import Store
from hitl_tui.hitl.watch import PIPELINE, ChangeWatcher
from hitl_tui.runtime import Hub


def _wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


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


def test_the_stream_carries_only_what_can_change_the_inbox(hub):
    root = {"thread_id": "t", "checkpoint_ns": "", "checkpoint_id": "1"}
    with hub.store.db.watch(PIPELINE, max_await_time_ms=100) as stream:
        hub.store.writes.insert_one({**root, "channel": "messages", "note": "noise"})
        hub.store.writes.insert_one({**root, "channel": "__interrupt__"})
        hub.store.checkpoints.insert_one({**root, "checkpoint_ns": "sub:1", "note": "noise"})
        hub.store.db["hitl_claims"].insert_one({"thread_id": "t", "note": "noise"})
        hub.store.checkpoints.insert_one({**root, "checkpoint_id": "2"})
        events = []
        deadline = time.monotonic() + 10
        while len(events) < 2 and time.monotonic() < deadline:
            if (event := stream.try_next()) is not None:
                events.append(event)
        hub.store.checkpoints.insert_one({**root, "checkpoint_id": "3"})  # a sentinel
        while len(events) < 3 and time.monotonic() < deadline:
            if (event := stream.try_next()) is not None:
                events.append(event)
    assert [(e["ns"]["coll"], e["operationType"]) for e in events] == [
        ("checkpoint_writes", "insert"),
        ("checkpoints", "insert"),
        ("checkpoints", "insert"),
    ]


class _FlakyDb:
    """The real database, except that its first change stream breaks after one event."""

    def __init__(self, db):
        self.db = db
        self.opened = 0

    def watch(self, *args, **kwargs):
        self.opened += 1
        if self.opened == 1:
            raise AutoReconnect("connection reset while opening")
        stream = self.db.watch(*args, **kwargs)
        return _BreakingStream(stream) if self.opened == 2 else stream


class _BreakingStream:
    def __init__(self, stream):
        self.stream = stream
        self.alive = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stream.close()

    def try_next(self):
        raise AutoReconnect("connection reset")


def test_a_broken_stream_is_reopened_and_says_look_now(hub, settings):
    """Events may be lost while a stream is down: once back, the caller is told to look."""
    flaky = _FlakyDb(hub.store.db)
    store = Store(hub.store.client, settings.db_name)
    store.db = flaky
    calls = []
    watcher = ChangeWatcher(store, lambda: calls.append(time.monotonic()), debounce=0).start()
    try:
        assert _wait_for(lambda: flaky.opened >= 3 and calls), "not reopened, or no call"
        assert watcher.supported is True
        before = len(calls)
        other = Hub(settings)
        try:
            ask(other, "asked after the reconnect")
        finally:
            other.close()
        assert _wait_for(lambda: len(calls) > before), "the reopened stream saw nothing"
    finally:
        watcher.stop(timeout=5)
    assert not watcher.running


class _BurstDb:
    """A change stream that delivers `count` events at once, then stays quiet."""

    def __init__(self, count: int):
        self.left = count
        self.drained = threading.Event()
        self.alive = True

    def watch(self, *args, **kwargs):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.alive = False

    def try_next(self):
        if self.left:
            self.left -= 1
            return {"operationType": "insert"}
        self.drained.set()
        time.sleep(0.01)  # a real stream waits up to max_await_time_ms here
        return None


def test_a_burst_of_events_makes_one_call_now_and_one_after(hub, settings):
    burst = _BurstDb(200)
    store = Store(hub.store.client, settings.db_name)
    store.db = burst
    calls = []
    watcher = ChangeWatcher(store, lambda: calls.append(time.monotonic()), debounce=0.3).start()
    try:
        assert burst.drained.wait(10)
        assert _wait_for(lambda: len(calls) >= 2), "no trailing call after the burst"
        assert len(calls) == 2 and calls[1] - calls[0] >= 0.3
    finally:
        watcher.stop(timeout=5)


def test_a_failing_callback_does_not_stop_the_watcher(hub, settings):
    burst = _BurstDb(3)
    store = Store(hub.store.client, settings.db_name)
    store.db = burst
    calls = []

    def on_change():
        calls.append(1)
        raise RuntimeError("the caller's bug")

    watcher = ChangeWatcher(store, on_change, debounce=0).start()
    try:
        assert _wait_for(lambda: len(calls) == 3)
        assert watcher.running
    finally:
        watcher.stop(timeout=5)


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
        assert _wait_for(lambda: not watcher.running), "an unsupported watcher must end"
    finally:
        watcher.stop()
        client.close()
