"""The headless notifier behind `hitl-tui watch`: find events, deliver them, keep going.

Two loops share one process. The detector runs a pass when the change stream says
something changed (or every poll interval where there is no push: a server without change
streams, or an Agent Server, whose `threads.search` is polled), and at the next deadline,
recording events in MongoDB. The deliverer leases the events its
group owes and sends them through every output, retrying with backoff. A database outage
pauses both; they catch up from MongoDB when it is back, since nothing is kept in memory
that the database does not also know.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import PyMongoError

from hitl_tui.errors import HitlError
from hitl_tui.hitl import events
from hitl_tui.hitl.claims import attach
from hitl_tui.hitl.delivery import DeliveryLog, Lease
from hitl_tui.hitl.inbox import Inbox
from hitl_tui.hitl.sinks import DeliveryFailed, Output
from hitl_tui.hitl.sla import SlaPolicy, stamp
from hitl_tui.hitl.source import Watcher
from hitl_tui.hitl.store import Store
from hitl_tui.hitl.watch import ChangeWatcher

_log = logging.getLogger(__name__)

# With a change stream the scan runs on push; this slow pass only catches a peer's expired
# lease or an event missed while the stream was reopened. It is what keeps an idle
# watcher near zero CPU.
SAFETY_PASS_SECONDS = 15.0
MAX_BACKOFF_SECONDS = 30.0


class Notifier:
    """Runs until `stop()`; reports trouble through `warn(line)` (one line each).

    `pending` and `watch` are where the tickets come from (a desk's); by default the
    MongoDB checkpoints in `store`, the database the events are recorded in."""

    def __init__(
        self,
        store: Store,
        outputs: Sequence[Output],
        log: DeliveryLog,
        policy: SlaPolicy,
        *,
        poll_seconds: float = 1.0,
        change_streams: bool = True,
        warn: Callable[[str], None] = lambda line: None,
        safety_seconds: float = SAFETY_PASS_SECONDS,
        pending: Callable[[], list[Any]] | None = None,
        watch: Callable[[Callable[[], None]], Watcher] | None = None,
    ) -> None:
        self.store = store
        self.outputs = list(outputs)
        self.log = log
        self.policy = policy
        self.poll_seconds = poll_seconds
        self.change_streams = change_streams
        self.warn = warn
        self.safety_seconds = safety_seconds
        self._pending = pending or _inbox_with_claims(store)
        self._open_watch = watch or (lambda on_change: ChangeWatcher(store, on_change).start())
        self._stop = threading.Event()
        self._detect_due = threading.Event()
        self._deliver_due = threading.Event()
        self._ready = threading.Event()
        self._watcher: Watcher | None = None
        self._trouble: str | None = None  # what went away, until it is back

    # -- lifecycle --------------------------------------------------------------------
    def run(self) -> None:
        """Block until stopped: detect in a thread, deliver in this one."""
        if self.change_streams:
            self._watcher = self._open_watch(self._detect_due.set)
            self._watcher.wait_ready(5)
        detector = threading.Thread(target=self._detect_loop, name="hitl-detect", daemon=True)
        detector.start()
        try:
            self._deliver_loop()
        finally:
            self._stop.set()
            self._detect_due.set()
            if self._watcher is not None:
                self._watcher.stop()
            detector.join(5)

    def stop(self) -> None:
        self._stop.set()
        self._detect_due.set()
        self._deliver_due.set()

    def wait_ready(self, timeout: float) -> bool:
        """True once the first detection pass has run (tests and benchmarks wait on it)."""
        return self._ready.wait(timeout)

    # -- detection --------------------------------------------------------------------
    def _detect_loop(self) -> None:
        setup_done = False
        backoff = self.poll_seconds
        while not self._stop.is_set():
            self._detect_due.clear()  # before the pass: a change during it runs one more
            wait = self._idle_seconds()
            try:
                if not setup_done:
                    events.ensure_indexes(self.store)
                    self.log.register()
                    setup_done = True
                items = stamp(self._pending(), self.policy)
                now = datetime.now(UTC)
                if events.detect(self.store, items, now):
                    self._deliver_due.set()
                self._ready.set()
                self._database_back()
                backoff = self.poll_seconds
                deadline = events.next_deadline(items, now)
                if deadline is not None:
                    wait = min(wait, max((deadline - now).total_seconds(), 0.05))
            except (PyMongoError, HitlError) as error:  # the database, or the Agent Server
                self._database_lost(error)
                wait = backoff
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            except Exception as error:  # a bug or a strange document must not end the watch
                _log.exception("detection pass failed")
                self.warn(f"detection pass failed ({type(error).__name__}); trying again")
                wait = backoff
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            self._deliver_due.set()  # also covers a peer's expired lease
            self._detect_due.wait(wait)

    def _idle_seconds(self) -> float:
        # Asked each time: a watcher started during an outage gets its stream later.
        watcher = self._watcher
        pushing = watcher is not None and watcher.running and watcher.supported is True
        return self.safety_seconds if pushing else self.poll_seconds

    # -- delivery ---------------------------------------------------------------------
    def _deliver_loop(self) -> None:
        while not self._ready.wait(0.5):  # the first detection pass registers the group
            if self._stop.is_set():
                return
        while not self._stop.is_set():
            self._deliver_due.wait()
            self._deliver_due.clear()
            try:
                while not self._stop.is_set() and (lease := self.log.take()) is not None:
                    with self._heartbeat(lease):
                        self._deliver(lease)
            except PyMongoError as error:
                self._database_lost(error)
            except BrokenPipeError:
                raise  # nobody reads stdout any more: stop, the next start delivers the rest
            except Exception as error:  # a bug or a strange document must not end the watch
                _log.exception("delivery failed")
                self.warn(f"delivery failed ({type(error).__name__}); trying again")
                self._stop.wait(1.0)

    def _deliver(self, lease: Lease) -> None:
        """Send through every output not done yet; retry the failing one with backoff."""
        backoff = 0.5
        last = self.outputs[-1].name
        for output in self.outputs:
            while output.name not in lease.done_outputs:
                try:
                    output.send(lease.event)
                except DeliveryFailed as failure:
                    self.warn(f"{failure}; retrying in {backoff:g}s")
                    if self._stop.wait(backoff):
                        self.log.give_back(lease)
                        return
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                    if not self.log.renew(lease):
                        return  # our lease ran out and a peer took over
                    continue
                if output.name == last:  # one write: the shortest window for a repeat
                    self._mark(lambda: self.log.done(lease))
                    return
                if not self._mark(lambda name=output.name: self.log.output_done(lease, name)):
                    return
        self._mark(lambda: self.log.done(lease))

    @contextmanager
    def _heartbeat(self, lease: Lease) -> Iterator[None]:
        """Renew the lease while a delivery runs, so a short lease only expires when the
        watcher is really gone (a slow webhook or command is not a dead watcher)."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self.log.lease_seconds / 3):
                try:
                    self.log.renew(lease)
                except PyMongoError:
                    pass  # the outage is reported by the loops; the mark retries

        beat = threading.Thread(target=renew, name="hitl-lease", daemon=True)
        beat.start()
        try:
            yield
        finally:
            done.set()

    def _mark(self, write: Callable[[], bool]) -> bool:
        """Record a delivery that happened, through an outage if need be: giving up here
        would deliver the event twice. False if the lease turned out to be lost."""
        backoff = 0.5
        while True:
            try:
                return write()
            except PyMongoError as error:
                self._database_lost(error)
                if self._stop.wait(backoff):
                    return False
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    # -- outages ----------------------------------------------------------------------
    def _database_lost(self, error: Exception) -> None:
        if self._trouble is None:
            if isinstance(error, HitlError):  # the Agent Server, which says what it is
                self._trouble = "the Agent Server"
                self.warn(f"{error}; catching up when back")
            else:
                self._trouble = "database"
                self.warn(f"database unreachable ({type(error).__name__}); catching up when back")

    def _database_back(self) -> None:
        if self._trouble is not None:
            self.warn(f"{self._trouble} reachable again")
            self._trouble = None


def _inbox_with_claims(store: Store) -> Callable[[], list[Any]]:
    """The tickets in MongoDB, with who holds them: an interrupted attempt is an event."""
    inbox = Inbox(store)

    def pending() -> list[Any]:
        items = inbox.refresh()
        attach(store, items)
        return items

    return pending
