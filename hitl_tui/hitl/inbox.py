"""Find every pending interrupt in MongoDB at a cost that follows what is pending, not
the size of the history.

MongoDBSaver keeps no "pending" flag, so a scan keeps one: `hitl_inbox` holds a document
per checkpoint that received an interrupt, and a high-water mark in `hitl_meta` records how
far the checkpoint and write collections have been read, by insertion time.
Each refresh reads only what was inserted since, plus the open entries. Threads written by
any program show up, because the scan reads MongoDBSaver's own collections.

The mark is the server's clock when a scan started, not the newest document it saw: after
a burst of writes and a quiet hour, a refresh reads nothing. A document can become visible
after a scan that started later than its `_id` (a slow insert, a writer's clock behind the
server's), so every scan reads again from `RESCAN_MARGIN` before the mark: anything that
was not yet visible then carries a later `_id`, and is read next time.

Insertion time is the `_id`: MongoDBSaver writes with upserts, so the server mints every
ObjectId on one clock, in insertion order. That matters for interrupts: an interrupt's
write carries the id of the checkpoint its step *started* from, so a step that ran for
minutes writes an "old" checkpoint id that a scan by checkpoint id would skip. The range
is served by the (checkpoint_ns, _id) indexes (a bare `_id` range is a full scan on some
servers). Documents with non-ObjectId `_id`s, which MongoDBSaver never writes, are read by
the first sync only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from pymongo import UpdateOne

from hitl_tui.hitl.first_look import ByChildren, FirstLook, Progress, Walk
from hitl_tui.hitl.langgraph_compat import INTERRUPT
from hitl_tui.hitl.listing import LISTED_OLDEST, fingerprint, listing_of, may_list
from hitl_tui.hitl.snapshot import PendingInterrupt, snapshot_of
from hitl_tui.hitl.store import Store
from hitl_tui.hitl.ticket_reads import read_tickets

META_ID = "inbox"
# Documents inserted up to this long before the mark are read again: concurrent inserts may
# become visible out of `_id` order, and a writer minting its own ids has its own clock.
RESCAN_MARGIN = timedelta(minutes=2)
# How long one step of a first look may take when the caller shows results as they come.
FIRST_LOOK_STEP_SECONDS = 0.25
# Newly decoded tickets between two partial lists: a front-end shows thousands in steps.
PARTIAL_EVERY = 500


@dataclass
class _Scan:
    """What one incremental scan read since the mark."""

    touched: defaultdict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    interrupted: set[tuple[str, str]] = field(default_factory=set)
    newest_checkpoint: defaultdict[str, str] = field(default_factory=lambda: defaultdict(str))
    newest: datetime | None = None  # the insertion time of the newest document read
    read: int = 0

    def saw(self, doc_id: object) -> None:
        self.read += 1
        self.newest = _later(self.newest, doc_id)


class Inbox:
    """Incrementally maintained list of pending interrupts; one per process or front-end."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._decoded: dict[tuple[str, str], list[PendingInterrupt]] = {}
        # How far *this* object has read: the shared mark may have been moved on by another
        # process since, past changes that make our cached decodes stale.
        self._mark: datetime | None = None
        self.problems: dict[str, list[str]] = {}
        self.complete = True
        self._write_counts: dict[tuple[str, str], int] = {}
        self._breakpoints_known = False
        # Latest checkpoints that may be stops at a static breakpoint. Kept by this object
        # only: whether one is a stop depends on the graph this process loaded.
        self._breakpoint_keys: set[tuple[str, str]] = set()
        self._first: FirstLook | None = None
        self.progress: Progress | None = None
        self._exact: bool | None = None  # whether tickets can be read by checkpoint id
        self.scanned = 0  # documents the last refresh read from MongoDBSaver's collections
        self._reader: object = None  # the serializer the cached decodes were made with
        self._listed: set[tuple[str, str]] = set()  # decodes this process has listed

    def refresh(
        self,
        decode_limit: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_partial: Callable[[list[PendingInterrupt]], None] | None = None,
    ) -> list[PendingInterrupt]:
        """Every pending interrupt, oldest first.

        With `decode_limit`, at most that many not-yet-seen tickets are decoded now, the
        first look at an unseen history goes a step at a time, and `complete` says whether
        more is to come on the next call: a console facing thousands of tickets shows the
        first at once instead of all of them much later. `progress` tells how far that
        first look is (None when there is none); `on_progress` hears of each step.
        `on_partial` is given the list so far each time `PARTIAL_EVERY` more tickets are
        decoded, when more are to come in this call.
        """
        touched, stale, open_entries = self._sync(
            whole=decode_limit is None, on_progress=on_progress
        )
        if self.store.reader is not self._reader:  # a graph brought its serializer: read again
            self._reader = self.store.reader
            stale |= {thread for (thread, _), found in self._decoded.items() if not found}
        for key in list(self._decoded):
            if (
                touched.get(key, self._write_counts.get(key)) != self._write_counts.get(key)
                or key[0] in stale
            ):
                self._forget(key)
        live: set[tuple[str, str]] = set()
        self.complete = self._first is None
        wanted: list[tuple[str, str]] = []
        entry_ids: dict[tuple[str, str], str] = {}
        for entry in sorted(open_entries, key=lambda entry: str(entry["checkpoint_id"])):
            key = (entry["thread_id"], entry["checkpoint_id"])
            if key in self._decoded:
                live.add(key)
            elif decode_limit is not None and len(wanted) >= decode_limit:
                self.complete = False
            else:
                wanted.append(key)
                entry_ids[key] = entry["_id"]
        decoded: set[tuple[str, str]] = set()
        for start in range(0, len(wanted), PARTIAL_EVERY):
            if start and on_partial is not None:
                on_partial(self._items(live | decoded))
            decoded |= self._decode_all(wanted[start : start + PARTIAL_EVERY])
        live |= decoded
        closed = [entry_ids[key] for key in wanted if key not in decoded]
        stops = sorted(self._breakpoint_keys - live, key=lambda k: k[1])
        decoded = {key for key in stops if key in self._decoded}
        decoded |= self._decode_all([key for key in stops if key not in self._decoded])
        self._breakpoint_keys -= set(stops) - decoded
        live |= decoded
        self._close_ids(closed)
        for key in list(self._decoded):
            if key not in live:
                self._forget(key)
        items = self._items(live)
        self._keep_listed(items, open_entries)
        return items

    def _items(self, live: set[tuple[str, str]]) -> list[PendingInterrupt]:
        """The decoded tickets of `live`, oldest first. Checkpoint ids sort by creation time
        and decoding goes in the same order, so newly decoded tickets land at the end."""
        items = [item for key in live for item in self._decoded[key]]
        items.sort(key=lambda i: (i.checkpoint_id, i.thread_id, i.interrupt_id))
        return items

    def _decode_all(self, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Decode open entries whose checkpoint is still their thread's latest; those
        pending. Checkpoint order, so the oldest tickets are decoded first."""
        read = read_tickets(self.store, keys, self._exact_lookups())
        pending = set()
        for key in sorted(read, key=lambda key: key[1]):
            if self._decode(key, read[key].checkpoint, read[key].writes):
                pending.add(key)
        return pending

    def _keep_listed(self, items: list[PendingInterrupt], open_entries: list[dict]) -> None:
        """List the oldest open tickets (`items` is oldest first) on their entries, once a
        decode (see hitl.listing): where another process listed one otherwise (another
        graph's kinds), the last to decode it wins, and nobody writes it back and forth."""
        if not may_list(self.store):  # asked each time: a graph loaded later may encrypt
            return
        entries = {(entry["thread_id"], entry["checkpoint_id"]): entry for entry in open_entries}
        oldest = dict.fromkeys((i.thread_id, i.checkpoint_id) for i in items)
        requests = []
        for key in [key for key in oldest if key in entries][:LISTED_OLDEST]:
            if key in self._listed:
                continue
            listing = listing_of(self._decoded[key])
            self._listed.add(key)
            if entries[key].get("listed") != (mark := fingerprint(listing)):
                requests.append(
                    UpdateOne(
                        {"_id": entries[key]["_id"], "state": "open"},
                        {"$set": {"listing": listing, "listed": mark}},
                    )
                )
        if requests:
            self.store.inbox.bulk_write(requests, ordered=False)

    def _forget(self, key: tuple[str, str]) -> None:
        """Drop a cached decode, and with it what this process listed of it."""
        del self._decoded[key]
        self._write_counts.pop(key, None)
        self._listed.discard(key)

    def _exact_lookups(self) -> bool:
        if self._exact is None:
            self._exact = self.store.has_exact_lookups()
        return self._exact

    def _decode(self, key: tuple[str, str], doc: dict, writes: list[dict]) -> bool:
        """Decode an entry's checkpoint; False when nothing on it waits for a human (an
        unreadable one may: it is kept, with no tickets, until it changes)."""
        thread_id = key[0]
        snapshot = snapshot_of(self.store, thread_id, doc, writes)
        if snapshot.problems:
            self.problems[thread_id] = snapshot.problems
        else:
            self.problems.pop(thread_id, None)
        if not snapshot.pending and not snapshot.unreadable:
            return False
        # A checkpoint this process cannot read (another program's types, a serializer that
        # encrypts) is no answered ticket: its entry stays open for one that can read it.
        self._decoded[key] = snapshot.pending
        self._write_counts[key] = snapshot.write_count
        return True

    def _sync(
        self, whole: bool, on_progress: Callable[[Progress], None] | None
    ) -> tuple[dict[tuple[str, str], int], set[str], list[dict]]:
        """Read what was written since the mark; record new interrupts, close answered ones.

        Returns how many writes each recent (thread, checkpoint) pair has, so a cached
        decode is thrown away only when that number changed, and the threads whose cached
        decodes are stale (a new checkpoint, or a claim answered by any operator), and the
        open entries, read once a refresh.
        """
        mark = self._current_mark()
        # A graph with static breakpoints needs every write once (a stop writes nothing).
        if self.store.breakpoints is None and (mark is None or self._first is not None):
            self._look_first(whole, on_progress)
            return {}, set(), self._open_entries({})
        started = self.store.server_time()  # taken before any read: see the module's notes
        since: dict = {"checkpoint_ns": ""}  # root graphs only: subgraph interrupts reach them
        stale: set[str] = set()
        if mark is not None:
            lower = mark - RESCAN_MARGIN
            since["_id"] = {"$gte": ObjectId.from_datetime(lower)}
            stale |= self._answered_since(lower)
        scan = _Scan()
        self._read_writes(since, scan)
        self._read_checkpoints(since, scan)
        # An interrupt whose thread has moved on since was answered: never open it.
        latest = scan.newest_checkpoint
        self._open((t, c) for t, c in scan.interrupted if c >= latest.get(t, ""))
        self._breakpoint_keys |= self._breakpoint_candidates(latest, scan.touched)
        stale |= {thread for thread, cid in self._decoded if cid < latest.get(thread, "")}
        # Read once a refresh; entries whose thread moved on are closed before the mark moves.
        open_entries = self._open_entries(latest)
        if scan.newest is not None:
            # A writer whose clock runs ahead must not push the mark past ours.
            scan.newest = min(scan.newest, started or datetime.now(UTC))
        reached = max(filter(None, (mark, scan.newest, started)), default=None)
        if reached is not None:
            self._advance(reached)
        self.scanned = scan.read
        return scan.touched, stale, open_entries

    def _current_mark(self) -> datetime | None:
        """How far every inbox has read: the shared mark, or ours where we are behind it."""
        meta = self.store.meta.find_one({"_id": META_ID}) or {}
        shared = meta.get("mark")
        shared = shared.replace(tzinfo=UTC) if isinstance(shared, datetime) else None
        return min(shared, self._mark) if shared and self._mark else shared or self._mark

    def _answered_since(self, lower: datetime) -> set[str]:
        """Threads with a claim changed since `lower`: their decodes may be stale."""
        answered = self.store.claims.find({"updated_at": {"$gte": lower}}, {"thread_id": 1})
        return {doc["thread_id"] for doc in answered}

    def _read_writes(self, since: dict, scan: _Scan) -> None:
        """Count the writes of each (thread, checkpoint) and note the interrupts."""
        fields = {"thread_id": 1, "checkpoint_id": 1, "channel": 1}
        for write in self.store.writes.find(since, fields):
            scan.saw(write["_id"])
            if not isinstance(write.get("thread_id"), str):
                continue
            key = (write["thread_id"], str(write.get("checkpoint_id")))
            scan.touched[key] += 1
            if write.get("channel") == INTERRUPT:
                scan.interrupted.add(key)

    def _read_checkpoints(self, since: dict, scan: _Scan) -> None:
        """The newest checkpoint of each thread written since the mark."""
        for doc in self.store.checkpoints.find(since, {"thread_id": 1, "checkpoint_id": 1}):
            scan.saw(doc["_id"])
            if not isinstance(doc.get("thread_id"), str):
                continue
            thread = doc["thread_id"]
            latest = scan.newest_checkpoint
            latest[thread] = max(latest[thread], str(doc.get("checkpoint_id")))

    def _open_entries(self, latest: dict[str, str]) -> list[dict]:
        """The open entries; those whose thread has a newer checkpoint in `latest` are
        closed instead."""
        entries, outdated = [], []
        fields = {"thread_id": 1, "checkpoint_id": 1, "listed": 1}
        for entry in self.store.inbox.find({"state": "open"}, fields):
            moved = entry["checkpoint_id"] < latest.get(entry["thread_id"], "")
            (outdated if moved else entries).append(entry)
        self._close_ids([entry["_id"] for entry in outdated])
        return entries

    def _look_first(self, whole: bool, on_progress: Callable[[Progress], None] | None) -> None:
        """Read an unseen history: all of it, or one step of it when `whole` is False."""
        if self._first is None:
            self._first = (ByChildren if self._exact_lookups() else Walk)(self.store)
            self.progress = self._first.progress
        first = self._first
        while not first.done:
            found = first.step(FIRST_LOOK_STEP_SECONDS)
            self._open(found)
            # Checked after the entries exist: whatever moves them on from here is seen by
            # some later scan, which closes them.
            self._close(first.recheck(found))
            if on_progress is not None:
                on_progress(first.progress)
            if not whole:
                break
        self.scanned = first.progress.read
        if first.done:
            self._first = None
            self.progress = None
            if first.started is not None:
                self._advance(first.started)
            elif first.newest is not None:
                # A writer whose clock runs ahead must not push the mark past ours.
                self._advance(min(first.newest, datetime.now(UTC)))

    def _advance(self, reached: datetime) -> None:
        self.store.meta.update_one({"_id": META_ID}, {"$max": {"mark": reached}}, upsert=True)
        self._mark = max(filter(None, (self._mark, reached)))

    def _open(self, interrupted: Iterable[tuple[str, str]]) -> None:
        """Record interrupts as open entries; one already recorded keeps its state."""
        now = datetime.now(UTC)
        requests = [
            UpdateOne(
                {"_id": _entry_id(thread, cid)},
                {
                    "$setOnInsert": {
                        "thread_id": thread,
                        "checkpoint_id": cid,
                        "state": "open",
                        "found_at": now,
                    }
                },
                upsert=True,
            )
            for thread, cid in interrupted
        ]
        if requests:
            self.store.inbox.bulk_write(requests, ordered=False)

    def _close(self, keys: Iterable[tuple[str, str]]) -> None:
        self._close_ids([_entry_id(thread, cid) for thread, cid in keys])

    def _close_ids(self, ids: list) -> None:
        if ids:
            self.store.inbox.update_many(  # a closed entry keeps no listing (hitl.listing)
                {"_id": {"$in": ids}},
                {"$set": {"state": "closed"}, "$unset": {"listing": "", "listed": ""}},
            )

    def _breakpoint_candidates(
        self, newest: dict[str, str], touched: dict[tuple[str, str], int]
    ) -> set[tuple[str, str]]:
        """Latest checkpoints with nothing written yet, when the graph has breakpoints.

        Only decoding tells whether one is a stop at a breakpoint. When the breakpoints
        become known (the graph is compiled after the inbox started), every thread's
        latest checkpoint is looked at once.
        """
        if self.store.breakpoints is None:
            return set()
        latest = dict(newest)
        if not self._breakpoints_known:
            self._breakpoints_known = True
            for doc in self.store.checkpoints.find(
                {"checkpoint_ns": ""}, {"thread_id": 1, "checkpoint_id": 1}
            ):
                if isinstance(doc.get("thread_id"), str):
                    thread = doc["thread_id"]
                    latest[thread] = max(latest.get(thread, ""), str(doc.get("checkpoint_id")))
        return {(t, c) for t, c in latest.items() if (t, c) not in touched}


def _entry_id(thread_id: str, checkpoint_id: str) -> str:
    return f"{thread_id}\x1f{checkpoint_id}"


def _later(current: datetime | None, doc_id: object) -> datetime | None:
    if not isinstance(doc_id, ObjectId):
        return current
    when = doc_id.generation_time
    return when if current is None or when > current else current
