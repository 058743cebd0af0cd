"""The collections hitl-tui reads and writes, and the indexes its queries need."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.collection import Collection
from pymongo.errors import OperationFailure, PyMongoError

from hitl_tui.errors import UsageError
from hitl_tui.hitl.breakpoints import Breakpoints

CHECKPOINTS = "checkpoints"
WRITES = "checkpoint_writes"
MAX_THREAD_ID_BYTES = 1000  # below MongoDB's index key limit, with room for the other keys
# MongoDBSaver's own lookup of a thread's checkpoints, newest first.
LATEST_CHECKPOINT_INDEX = [
    ("thread_id", ASCENDING),
    ("checkpoint_ns", ASCENDING),
    ("checkpoint_id", DESCENDING),
]
# Interrupt writes alone, in insertion order: a first look reads these, not every write.
INTERRUPT_INDEX = [("channel", ASCENDING), ("_id", ASCENDING)]
# A ticket's own checkpoint and writes, and the checkpoints made from it, looked up by id:
# reading a thread's range instead costs every checkpoint and write of its last turn.
CHECKPOINT_ID_INDEX = [("checkpoint_id", ASCENDING)]
PARENT_INDEX = [("parent_checkpoint_id", ASCENDING)]
# Below this many documents a missing index costs nothing worth a hint.
MISSING_INDEX_MATTERS_AT = 1000


def validate_thread_id(thread_id: object) -> str:
    """Any id LangGraph accepts, as long as it is safe as a query value: a plain, non-empty
    string (never a document), that MongoDB can store and index."""
    if not isinstance(thread_id, str) or not thread_id:
        raise UsageError("invalid thread id: it must be a non-empty string")
    try:
        size = len(thread_id.encode("utf-8"))
    except UnicodeEncodeError:
        raise UsageError("invalid thread id: it is not valid Unicode text") from None
    if size > MAX_THREAD_ID_BYTES:
        raise UsageError(f"invalid thread id: longer than {MAX_THREAD_ID_BYTES} bytes")
    return thread_id


class Store:
    """Handles on MongoDBSaver's collections and ours, and the one serializer to decode with."""

    def __init__(self, client: MongoClient, db_name: str) -> None:
        self.client = client
        self.db = client[db_name]
        self.checkpoints = self.db[CHECKPOINTS]
        self.writes = self.db[WRITES]
        self.inbox = self.db["hitl_inbox"]
        self.meta = self.db["hitl_meta"]
        self.claims = self.db["hitl_claims"]
        self.audit = self.db["hitl_audit"]
        self._strict: Any = None
        self._reading: Any = None
        self._brought: Any = None  # the serializer a loaded graph brought, if any
        # Static breakpoints of the loaded graph: checkpoints record no sign of them.
        self.breakpoints: Breakpoints | None = None

    # LangGraph's serializers are made on first use: importing them loads langchain-core,
    # which a console does not need to paint its first inbox (see hitl.listing).
    @property
    def serde(self) -> Any:
        """What the saver writes and reads with; a loaded graph may bring its own."""
        if self._brought is not None:
            return self._brought
        if self._strict is None:
            from hitl_tui.hitl.decoding import restricted_serde

            self._strict = restricted_serde()
        return self._strict

    @serde.setter
    def serde(self, serde: Any) -> None:
        self._brought = serde

    @property
    def reader(self) -> Any:
        """What a thread is read with for listing and showing: the saver's serializer once
        a graph brought its own, else the strict one's twin that needs no graph code."""
        if self._brought is not None:
            return self._brought
        if self._reading is None:
            from hitl_tui.hitl.decoding import reading_serde

            self._reading = reading_serde()
        return self._reading

    def server_time(self) -> datetime | None:
        """The server's clock, which mints the insertion ids; None if it does not say."""
        try:
            local = self.client.admin.command("hello").get("localTime")
        except PyMongoError:
            return None
        if not isinstance(local, datetime):
            return None
        return local if local.tzinfo else local.replace(tzinfo=UTC)

    def saver_indexes(self) -> list[tuple[Collection, list, dict]]:
        """Indexes on MongoDBSaver's collections that our queries need: created only by
        `hitl-tui db init` (and on the embedded server, which is ours)."""
        return [
            # MongoDBSaver.put_writes filters on task_path, which the saver's own index lacks.
            (
                self.writes,
                [
                    ("thread_id", ASCENDING),
                    ("checkpoint_ns", ASCENDING),
                    ("checkpoint_id", DESCENDING),
                    ("task_id", ASCENDING),
                    ("task_path", ASCENDING),
                    ("idx", ASCENDING),
                ],
                {},
            ),
            (self.checkpoints, LATEST_CHECKPOINT_INDEX, {"unique": True}),
            (self.writes, INTERRUPT_INDEX, {}),
            # The inbox reads "everything inserted since the mark" as a range on `_id`; a bare
            # `_id` range is a full scan on SecantusDB, this compound index is not.
            (self.writes, [("checkpoint_ns", ASCENDING), ("_id", ASCENDING)], {}),
            (self.checkpoints, [("checkpoint_ns", ASCENDING), ("_id", ASCENDING)], {}),
            *self.exact_lookup_indexes(),
        ]

    def exact_lookup_indexes(self) -> list[tuple[Collection, list, dict]]:
        """What reading tickets by checkpoint id needs (see `CHECKPOINT_ID_INDEX`)."""
        return [
            (self.checkpoints, CHECKPOINT_ID_INDEX, {}),
            (self.checkpoints, PARENT_INDEX, {}),
            (self.writes, CHECKPOINT_ID_INDEX, {}),
        ]

    def own_indexes(self) -> list[tuple[Collection, list, dict]]:
        """Indexes on hitl-tui's own collections, created whenever they are missing."""
        return [
            (self.claims, [("updated_at", ASCENDING)], {}),
            (self.inbox, [("state", ASCENDING), ("thread_id", ASCENDING)], {}),
            (self.inbox, [("thread_id", ASCENDING), ("state", ASCENDING)], {}),
            # The listed entries (hitl.listing): a start-up reads them without the others.
            (self.inbox, [("listed", ASCENDING)], {"sparse": True}),
            (self.claims, [("state", ASCENDING), ("expires_at", ASCENDING)], {}),
            (self.claims, [("thread_id", ASCENDING), ("state", ASCENDING)], {}),
            (self.audit, [("thread_id", ASCENDING), ("started_at", ASCENDING)], {}),
            (self.audit, [("started_at", ASCENDING)], {}),
        ]

    def ensure_indexes(self, saver: bool = True) -> None:
        """Create what the queries need (on the saver's collections too when `saver`);
        a no-op when they exist already."""
        wanted = self.own_indexes() + (self.saver_indexes() if saver else [])
        existing = _existing_keys(wanted)
        for collection, keys, options in wanted:
            if _key_of(keys) in existing[collection.name]:
                continue
            try:
                collection.create_index(keys, **options)
            except OperationFailure as error:
                if error.code not in (85, 86):  # an equivalent index exists under another name
                    raise

    def has_index(self, collection: Collection, keys: list) -> bool:
        """Whether `collection` has an index on exactly these keys (a query hint naming a
        missing one is refused)."""
        return _key_of(keys) in _existing_keys([(collection, keys, {})])[collection.name]

    def has_exact_lookups(self) -> bool:
        """Whether tickets can be read by checkpoint id."""
        wanted = self.exact_lookup_indexes()
        existing = _existing_keys(wanted)
        return all(_key_of(keys) in existing[c.name] for c, keys, _ in wanted)

    def missing_saver_indexes(self, min_documents: int = MISSING_INDEX_MATTERS_AT) -> list[str]:
        """The saver-collection indexes that are missing where they matter (a collection
        with at least `min_documents`), described for a one-line hint. Counting is not
        free on every server, so only a collection that lacks an index is counted."""
        wanted = self.saver_indexes()
        existing = _existing_keys(wanted)
        missing = [
            (collection, keys)
            for collection, keys, _ in wanted
            if _key_of(keys) not in existing[collection.name]
        ]
        lacking = {collection.name: collection for collection, _ in missing}
        sizes = {name: c.estimated_document_count() for name, c in lacking.items()}
        return [
            f"{collection.name}({', '.join(name for name, _ in keys)})"
            for collection, keys in missing
            if sizes[collection.name] >= min_documents
        ]

    def index_hint(self) -> str | None:
        """One line when indexes our queries need are missing on a big saver collection."""
        missing = self.missing_saver_indexes()
        if not missing:
            return None
        return (
            f"reading is slow without indexes on {', '.join(missing)}; "
            "create them once with `hitl-tui db init`"
        )


def _key_of(keys: list) -> list[tuple[str, int]]:
    return [(str(field), int(direction)) for field, direction in keys]


def _existing_keys(wanted: list[tuple[Collection, list, dict]]) -> dict[str, list[list[tuple]]]:
    """The keys of each collection's indexes: one round trip per collection, not per index."""
    existing: dict[str, list[list[tuple]]] = {}
    for collection, _, _ in wanted:
        if collection.name not in existing:
            existing[collection.name] = [
                _key_of(list(index["key"].items())) for index in collection.list_indexes()
            ]
    return existing
