"""The first look at a history the inbox has never read, in steps a caller can show.

Only two things decide whether a thread may be waiting for a human: its interrupt writes,
and its latest checkpoint. The interrupt writes are a small share of all writes and have an
index of their own, so they are read in one go; then each thread's newest interrupted
checkpoint is checked, one of two ways:

- `ByChildren`, when the indexes by checkpoint id exist: a checkpoint made from the
  interrupted one means the thread moved on, so a batch of threads costs one query that
  reads one document per answered thread and none per waiting one. A thread moved on by
  time travel makes no such child: the caller checks the few survivors in full
  (`ticket_reads.moved_on`).
- `Walk`, on any database: the checkpoints in thread order along MongoDBSaver's own index,
  newest first within each thread, so a thread is decided the moment it is reached.

Either can stop after any batch and go on later from there. A caller gets the tickets of
the threads decided so far, and how far the look is.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId
from pymongo.cursor import Cursor
from pymongo.errors import OperationFailure

from hitl_tui.hitl.langgraph_compat import INTERRUPT
from hitl_tui.hitl.store import LATEST_CHECKPOINT_INDEX, Store
from hitl_tui.hitl.ticket_reads import EXACT_BATCH, Key, moved_on, with_children

WALK_BATCH = 2000  # checkpoints per round trip: progress moves in steps this size
# Waiting threads a step of `ByChildren` finds at most: the first tickets show at once,
# and each later step may find twice as many, so a big backlog takes few steps.
FOUND_PER_STEP = 200
MAX_FOUND_PER_STEP = 3200


@dataclass
class Progress:
    """How far the first look is: how many `unit` read of about how many, tickets found."""

    read: int = 0
    total: int = 0
    found: int = 0
    unit: str = "checkpoints"


class _CutShort(Exception):
    """A step ended early; the look is not done."""


class FirstLook:
    """A look at an unseen history: `step()` until `done`. Incremental scans then go on
    from `started`, the server's clock when the look began (or, from a server that does
    not tell its time, from the newest document seen)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # Everything inserted from here on is read again by the incremental scans.
        self.started = store.server_time()
        self.newest: datetime | None = None
        self.progress = Progress()
        self.done = False
        # A step ends early once it found this many: the caller has work to do for each.
        self.found_per_step = sys.maxsize
        self._interrupts = self._read_interrupts()

    def _read_interrupts(self) -> dict[str, str]:
        """The newest interrupted checkpoint of every root thread."""
        interrupts: dict[str, str] = defaultdict(str)
        fields = {"thread_id": 1, "checkpoint_id": 1, "checkpoint_ns": 1}
        # An aggregation, not a find: SecantusDB serves this one several times faster.
        matched = [{"$match": {"channel": INTERRUPT}}, {"$project": fields}]
        for write in self.store.writes.aggregate(matched):
            self._saw(write["_id"])
            thread = write.get("thread_id")
            if isinstance(thread, str) and write.get("checkpoint_ns") == "":
                interrupts[thread] = max(interrupts[thread], str(write.get("checkpoint_id")))
        return dict(interrupts)

    def step(self, seconds: float | None = None) -> list[Key]:
        """Look on (for about `seconds`, or to the end); the (thread, checkpoint) pairs
        whose interrupt is on the thread's latest checkpoint, found in this step."""
        if self.done:
            return []
        deadline = None if seconds is None else time.monotonic() + seconds
        found: list[Key] = []
        try:
            for decided in self._decide():
                found.extend(decided)
                late = deadline is not None and time.monotonic() > deadline
                if late or len(found) >= self.found_per_step:
                    break
            else:
                self.done = True
                self.progress.total = self.progress.read
        except _CutShort:
            pass  # the next step goes on from where this one ended
        self.progress.found += len(found)
        return found

    def _decide(self) -> Iterator[list[Key]]:
        """Batches of found pairs, as threads are decided; `progress.read` moves on."""
        raise NotImplementedError

    def recheck(self, found: list[Key]) -> set[Key]:
        """Of pairs a step found, once their entries exist: those not waiting after all."""
        return set()

    def _saw(self, doc_id: object) -> None:
        if isinstance(doc_id, ObjectId):
            when = doc_id.generation_time
            self.newest = when if self.newest is None or when > self.newest else self.newest


class ByChildren(FirstLook):
    """Decides each interrupted thread by whether a checkpoint was made from its newest
    interrupted one."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._left = sorted(self._interrupts.items(), key=lambda item: item[1])
        self.progress.total = len(self._left)
        self.progress.unit = "interrupted threads"
        # Each waiting thread found is checked once more, by thread (see the module's notes).
        self.found_per_step = FOUND_PER_STEP

    def step(self, seconds: float | None = None) -> list[Key]:
        found = super().step(seconds)
        self.found_per_step = min(2 * self.found_per_step, MAX_FOUND_PER_STEP)
        return found

    def recheck(self, found: list[Key]) -> set[Key]:
        """No child is not the whole story: a thread moved on by time travel has none."""
        stale = moved_on(self.store, found)
        self.progress.found -= len(stale)
        return stale

    def _decide(self) -> Iterator[list[Key]]:
        while self._left:
            batch, self._left = self._left[:EXACT_BATCH], self._left[EXACT_BATCH:]
            answered = with_children(self.store, batch)
            self.progress.read += len(batch)
            yield [key for key in batch if key not in answered]


class Walk(FirstLook):
    """Walks every root checkpoint, a thread at a time: the first of each is its latest."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._after: str | None = None
        self._cursor: Cursor | None = None
        self._hint = (
            LATEST_CHECKPOINT_INDEX
            if store.has_index(store.checkpoints, LATEST_CHECKPOINT_INDEX)
            else None
        )
        self.progress.total = store.checkpoints.estimated_document_count()

    def _decide(self) -> Iterator[list[Key]]:
        read_before = self.progress.read
        try:
            for doc in self._walk():
                self.progress.read += 1
                self._saw(doc.get("_id"))
                thread = doc.get("thread_id")
                if not isinstance(thread, str) or thread == self._after:
                    continue  # an older checkpoint of a thread already decided
                self._after = thread
                interrupted = self._interrupts.get(thread)
                if interrupted is not None and interrupted >= str(doc.get("checkpoint_id")):
                    yield [(thread, interrupted)]
                else:
                    yield []
        except OperationFailure:  # the server let the cursor go: walk on from the last thread
            self._cursor = None
            if self.progress.read == read_before:
                raise  # not a lost cursor: the query itself is refused
            raise _CutShort from None
        self._cursor = None

    def step(self, seconds: float | None = None) -> list[Key]:
        found = super().step(seconds)
        if not self.done:
            self.progress.total = max(self.progress.total, self.progress.read)
        return found

    def _walk(self) -> Cursor:
        """One cursor for the whole walk: some servers read every matching document before
        they answer at all, so a new query for each step would read the history again."""
        if self._cursor is None:
            after = {"$gt": self._after} if self._after is not None else {"$gte": ""}
            fields = {"thread_id": 1, "checkpoint_id": 1}
            if self.started is not None:
                # The index alone answers: a quarter less work for the server per document.
                fields["_id"] = 0
            cursor = self.store.checkpoints.find(
                {"thread_id": after, "checkpoint_ns": ""}, fields
            ).batch_size(WALK_BATCH)
            self._cursor = cursor.hint(self._hint) if self._hint is not None else cursor
        return self._cursor
