"""Push instead of poll: a change stream on MongoDBSaver's collections tells the inbox
that something happened, so a new ticket reaches the operator in milliseconds.

Servers without change streams (a standalone mongod) refuse `watch`; then `supported`
becomes False and the caller keeps polling. A dropped connection is retried with
backoff; nothing is lost meanwhile because the inbox's own scan is the source of truth
and the watcher only says *when* to look.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from pymongo.errors import OperationFailure, PyMongoError

from hitl_tui.hitl.store import CHECKPOINTS, WRITES, Store

_PIPELINE = [
    {
        "$match": {
            "ns.coll": {"$in": [WRITES, CHECKPOINTS]},
            "operationType": {"$in": ["insert", "update", "replace"]},
        }
    }
]


class ChangeWatcher:
    """Calls `on_change()` (from a background thread) whenever a checkpoint or a write lands."""

    def __init__(self, store: Store, on_change: Callable[[], None]) -> None:
        self.store = store
        self.on_change = on_change
        self.supported: bool | None = None  # None until the first attempt has answered
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hitl-watch", daemon=True)

    def start(self) -> ChangeWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def wait_ready(self, timeout: float) -> bool | None:
        """Block until the first attempt answered; returns `supported`."""
        self._ready.wait(timeout)
        return self.supported

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                with self.store.db.watch(_PIPELINE, max_await_time_ms=250) as stream:
                    self.supported = True
                    self._ready.set()
                    backoff = 0.5
                    while not self._stop.is_set() and stream.alive:
                        if stream.try_next() is not None:
                            self.on_change()
            except OperationFailure:
                self.supported = False  # no change streams here: the caller polls
                self._ready.set()
                return
            except PyMongoError:
                self._ready.set()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
