"""MongoDBSaver whose lookup of a thread's latest checkpoint stays cheap on long threads.

It reads and writes exactly what the stock saver does; only the query that finds the
newest checkpoint is narrowed (see `hitl_tui.hitl.latest`), then the stock lookup by
checkpoint id does the rest.
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.mongodb import MongoDBSaver

from hitl_tui.hitl.latest import latest_checkpoint, remember


class LongThreadSaver(MongoDBSaver):
    def get_tuple(self, config: Any) -> Any:
        configurable = config.get("configurable", {})
        if configurable.get("checkpoint_id") or not isinstance(configurable.get("thread_id"), str):
            return super().get_tuple(config)
        ns = configurable.get("checkpoint_ns", "")
        if not isinstance(ns, str):
            return super().get_tuple(config)
        doc = latest_checkpoint(
            self.checkpoint_collection, configurable["thread_id"], ns, {"checkpoint_id": 1}
        )
        if doc is None:
            return None
        pinned = {**configurable, "checkpoint_ns": ns, "checkpoint_id": doc["checkpoint_id"]}
        return super().get_tuple({**config, "configurable": pinned})

    def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        saved = super().put(config, checkpoint, metadata, new_versions)
        configurable = saved["configurable"]
        remember(
            self.checkpoint_collection,
            configurable["thread_id"],
            configurable["checkpoint_ns"],
            configurable["checkpoint_id"],
        )
        return saved
