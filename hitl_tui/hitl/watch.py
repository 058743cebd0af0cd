"""Push instead of poll: a change stream on MongoDBSaver's collections says *when* to look,
so a new ticket reaches the operator in milliseconds.

    watcher = ChangeWatcher(store, on_change).start()   # on_change() runs on a daemon thread
    watcher.wait_ready(5)                               # True, False (poll instead), or None
    watcher.stop()

The stream carries only what can change the inbox: an interrupt written (or rewritten) and
a new root checkpoint, which may close a ticket. Bursts are coalesced: `on_change` runs at
once, then at most every `debounce` seconds while events keep coming, and once more after
the last of them.

A server that refuses to open a change stream (a standalone mongod) makes `supported`
False and the watcher ends: the caller keeps polling. A stream that breaks after it was
open (dropped connection, server restart) is reopened with backoff, and `on_change` runs
once it is back, since events may have been missed meanwhile. Nothing is lost either way:
the inbox's own scan is the source of truth, the watcher only says when to run it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from pymongo.change_stream import ChangeStream
from pymongo.errors import OperationFailure, PyMongoError

from hitl_tui.hitl.langgraph_compat import INTERRUPT
from hitl_tui.hitl.store import CHECKPOINTS, WRITES, Store

_log = logging.getLogger(__name__)

PIPELINE = [
    {
        "$match": {
            "$or": [
                {"ns.coll": WRITES, "operationType": "insert", "fullDocument.channel": INTERRUPT},
                # MongoDBSaver rewrites an interrupt in place when a step interrupts again.
                {"ns.coll": WRITES, "operationType": {"$in": ["update", "replace"]}},
                {
                    "ns.coll": CHECKPOINTS,
                    "operationType": {"$in": ["insert", "replace"]},
                    "fullDocument.checkpoint_ns": "",
                },
            ]
        }
    },
    # The event, not the document: checkpoints are large and we only need to know.
    {"$project": {"operationType": 1, "ns": 1}},
]
MAX_BACKOFF_SECONDS = 10.0


class ChangeWatcher:
    """Calls `on_change()` from a daemon thread when something may have changed the inbox."""

    def __init__(self, store: Store, on_change: Callable[[], None], debounce: float = 0.05) -> None:
        self.store = store
        self.on_change = on_change
        self.debounce = debounce
        self.supported: bool | None = None  # None until the server has answered once
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._last_call = 0.0
        self._trailing: threading.Timer | None = None
        self._thread = threading.Thread(target=self._run, name="hitl-watch", daemon=True)

    def start(self) -> ChangeWatcher:
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to end (within ~0.25 s); wait up to `timeout` seconds if given."""
        self._stop.set()
        with self._lock:
            if self._trailing is not None:
                self._trailing.cancel()
        if timeout is not None and self._thread.is_alive():
            self._thread.join(timeout)

    def wait_ready(self, timeout: float) -> bool | None:
        """Block until the first attempt to open the stream answered; returns `supported`."""
        self._ready.wait(timeout)
        return self.supported

    @property
    def running(self) -> bool:
        """False once stopped, or once the server turned out to have no change streams."""
        return self._thread.is_alive()

    # -- the stream -----------------------------------------------------------------
    def _run(self) -> None:
        backoff = 0.5
        missed = False  # a stream ended: events may have been lost until a new one is open
        while not self._stop.is_set():
            try:
                stream = self.store.db.watch(PIPELINE, max_await_time_ms=250)
            except OperationFailure as error:
                if self.supported is None:
                    _log.info("no change streams here (%s): polling instead", error)
                    self.supported = False
                    self._ready.set()
                    return
            except PyMongoError:
                self._ready.set()  # unreachable for now: `supported` stays unknown
            else:
                self.supported = True
                self._ready.set()
                backoff = 0.5
                if missed:
                    self._notify()
                self._follow(stream)
            missed = True
            self._stop.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _follow(self, stream: ChangeStream) -> None:
        """Report events until asked to stop or the stream ends."""
        try:
            with stream:
                while not self._stop.is_set() and stream.alive:
                    if stream.try_next() is not None:
                        self._notify()
        except PyMongoError as error:
            _log.info("change stream lost (%s): reopening", error)

    # -- coalescing -----------------------------------------------------------------
    def _notify(self) -> None:
        """Call now, or once at the end of the current debounce window."""
        with self._lock:
            if self._trailing is not None or self._stop.is_set():
                return
            wait = self._last_call + self.debounce - time.monotonic()
            if wait > 0:
                self._trailing = threading.Timer(wait, self._call_trailing)
                self._trailing.daemon = True
                self._trailing.start()
                return
            self._last_call = time.monotonic()
        self._call()

    def _call_trailing(self) -> None:
        with self._lock:
            self._trailing = None
            self._last_call = time.monotonic()
        if not self._stop.is_set():
            self._call()

    def _call(self) -> None:
        try:
            self.on_change()
        except Exception:  # the caller's bug must not end the push updates
            _log.exception("on_change failed")
