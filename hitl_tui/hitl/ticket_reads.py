"""Reading many tickets' checkpoints at a cost that follows the tickets, not their threads.

A ticket is an interrupt on a thread's latest checkpoint; decoding it takes that checkpoint
and the writes attached to it. There are two ways to read them in batches, with the same
answer:

- By id, when `hitl-tui db init` made the indexes (`Store.has_exact_lookups`): the
  tickets' checkpoints and writes by checkpoint id, and the checkpoints made from them. A
  checkpoint made from a ticket's means the thread moved on (an answer, a command); so
  about two documents are read a ticket, however long its thread.
- By thread, on any database: each thread's checkpoints and writes from the batch's oldest
  ticket on. That also tells each thread's latest checkpoint, and costs every document of
  the threads' last turns.

`moved_on` is the full check, by thread: it also sees a thread moved on by a checkpoint
made from an older one (time travel), which the children of a ticket's checkpoint do not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from hitl_tui.hitl.store import Store

Key = tuple[str, str]  # (thread id, checkpoint id)

# Checkpoint ids per `$in`: SecantusDB's cost per document grows with the list's length.
EXACT_BATCH = 50
# Threads per range query: each thread in it is matched against the whole list.
THREAD_BATCH = 20


@dataclass
class TicketDocs:
    checkpoint: dict
    writes: list[dict]


def read_tickets(store: Store, keys: list[Key], exact: bool) -> dict[Key, TicketDocs]:
    """The checkpoint and writes of each key still on its thread's latest checkpoint."""
    read = _read_exact if exact else _read_by_thread
    found: dict[Key, TicketDocs] = {}
    for batch in _batches(keys, EXACT_BATCH if exact else THREAD_BATCH):
        found.update(read(store, batch))
    return found


def moved_on(store: Store, keys: list[Key]) -> set[Key]:
    """The keys whose thread has a newer checkpoint than theirs."""
    stale: set[Key] = set()
    for batch in _batches(keys, THREAD_BATCH):
        newest: defaultdict[str, str] = defaultdict(str)
        fields = {"thread_id": 1, "checkpoint_id": 1}
        for doc in store.checkpoints.find(_newer_than(batch, "$gt"), fields):
            thread = doc.get("thread_id")
            if isinstance(thread, str):
                newest[thread] = max(newest[thread], str(doc.get("checkpoint_id")))
        stale |= {(thread, cid) for thread, cid in batch if newest[thread] > cid}
    return stale


def with_children(store: Store, keys: list[Key]) -> set[Key]:
    """The keys a checkpoint was made from since (their threads moved on); by id."""
    parents: set[Key] = set()
    for batch in _batches(keys, EXACT_BATCH):
        query = {"parent_checkpoint_id": {"$in": [cid for _, cid in batch]}, "checkpoint_ns": ""}
        for doc in store.checkpoints.find(query, {"thread_id": 1, "parent_checkpoint_id": 1}):
            parents.add((doc.get("thread_id"), doc.get("parent_checkpoint_id")))
    return {key for key in keys if key in parents}


def _read_exact(store: Store, batch: list[Key]) -> dict[Key, TicketDocs]:
    wanted = set(batch)
    query = {"checkpoint_id": {"$in": [cid for _, cid in batch]}, "checkpoint_ns": ""}
    found = {
        key: TicketDocs(doc, [])
        for doc in store.checkpoints.find(query)
        if (key := (doc.get("thread_id"), doc.get("checkpoint_id"))) in wanted
    }
    for key in with_children(store, list(found)):
        del found[key]
    for write in store.writes.find(query):
        key = (write.get("thread_id"), str(write.get("checkpoint_id")))
        if key in found:
            found[key].writes.append(write)
    return found


def _read_by_thread(store: Store, batch: list[Key]) -> dict[Key, TicketDocs]:
    query = _newer_than(batch, "$gte")
    newer: defaultdict[str, list[dict]] = defaultdict(list)
    for doc in store.checkpoints.find(query):
        newer[doc.get("thread_id")].append(doc)
    attached: defaultdict[Key, list[dict]] = defaultdict(list)
    for write in store.writes.find(query):
        attached[(write.get("thread_id"), str(write.get("checkpoint_id")))].append(write)
    found: dict[Key, TicketDocs] = {}
    for key in batch:
        thread_id, checkpoint_id = key
        docs = [d for d in newer[thread_id] if str(d.get("checkpoint_id")) >= checkpoint_id]
        if len(docs) == 1 and docs[0].get("checkpoint_id") == checkpoint_id:
            found[key] = TicketDocs(docs[0], attached[key])
    return found


def _newer_than(batch: list[Key], bound: str) -> dict:
    """The batch's threads' root checkpoints from (or after) the batch's oldest on."""
    return {
        "thread_id": {"$in": sorted({thread for thread, _ in batch})},
        "checkpoint_ns": "",
        "checkpoint_id": {bound: min(cid for _, cid in batch)},
    }


def _batches(keys: list[Key], size: int) -> Iterator[list[Key]]:
    """Keys in checkpoint order, so a batch's range query starts near each of its keys."""
    ordered = sorted(keys, key=lambda key: key[1])
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]
