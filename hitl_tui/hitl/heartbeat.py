"""Keep a claim alive while its holder works: a small thread that renews the lease.

A lease that only the clock ends lets a second operator take over a resume that is still
running (a long action runs twice). With a heartbeat the lease ends when the resumer stops
(crash, kill -9, lost host), not because the action is slow.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from pymongo.errors import PyMongoError

from hitl_tui.hitl import claims
from hitl_tui.hitl.store import Store


class Heartbeat:
    """Renews `claim` every third of the lease until stopped; `lost` is set when the claim
    was taken from us (renewal matched nothing), and `on_lost` is called once."""

    def __init__(
        self,
        store: Store,
        claim: claims.Claim,
        lease_seconds: float,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.claim = claim
        self.lease_seconds = lease_seconds
        self.interval = max(0.05, lease_seconds / 3)
        self.on_lost = on_lost
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="claim-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.interval + 5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                held = claims.renew(self.store, self.claim, self.lease_seconds)
            except PyMongoError:
                continue  # an outage: keep trying; the graph run reports it
            if not held:
                self.lost.set()
                if self.on_lost is not None:
                    self.on_lost()
                return
