"""Shared parts of the on-call tests: recording outputs, a local webhook receiver, waits."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hitl_tui.hitl.delivery import DeliveryLog
from hitl_tui.hitl.events import EVENT_TYPES
from hitl_tui.hitl.notifier import Notifier
from hitl_tui.hitl.sla import SlaPolicy


def wait_for(condition: Callable[[], object], timeout: float = 30.0, what: str = "it") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


class Recorder:
    """An output that keeps what it was given."""

    def __init__(self, name: str = "stdout") -> None:
        self.name = name
        self.events: list[dict] = []

    def send(self, event: dict) -> None:
        self.events.append(event)

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["type"] == kind]


@contextmanager
def running(
    store, outputs, *, group: str = "g", policy: SlaPolicy | None = None, **kwargs
) -> Iterator[Notifier]:
    """A notifier running in a thread for the duration of the block."""
    notifier = Notifier(
        store,
        outputs,
        DeliveryLog(store, group, EVENT_TYPES, lease_seconds=kwargs.pop("lease", 30)),
        policy or SlaPolicy(),
        poll_seconds=kwargs.pop("poll_seconds", 0.2),
        safety_seconds=kwargs.pop("safety_seconds", 1.0),
        warn=kwargs.pop("warn", print),  # shown by pytest when a test fails
        **kwargs,
    )
    thread = threading.Thread(target=notifier.run, daemon=True)
    thread.start()
    try:
        assert notifier.wait_ready(20), "the notifier never ran a pass"
        yield notifier
    finally:
        notifier.stop()
        thread.join(10)


class Receiver:
    """A webhook receiver on 127.0.0.1: answers from a script of status codes (then 200),
    can hold a request until released, and checks the signature of every body."""

    def __init__(self, secret: str | None = None, statuses: list[int] | None = None) -> None:
        self.secret = secret
        self.statuses = list(statuses or [])
        self.requests: list[dict] = []  # every request: {id, status, signed_ok, body}
        self.hold_at: int | None = None  # the request number (1-based) to hold
        self.holding = threading.Event()
        self.release = threading.Event()
        self.delay = 0.0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    number = len(receiver.requests) + 1
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    record = {
                        "id": self.headers.get("X-Hitl-Event-Id"),
                        "status": status,
                        "signed_ok": receiver._signed_ok(self.headers, body),
                        "body": json.loads(body),
                    }
                    receiver.requests.append(record)
                if number == receiver.hold_at:
                    receiver.holding.set()
                    receiver.release.wait(30)
                if receiver.delay:
                    time.sleep(receiver.delay)  # a slow receiver, not a wait for our work
                try:
                    self.send_response(status)
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender was killed while we held its request

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T000/B000/XXXX"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _signed_ok(self, headers, body: bytes) -> bool | None:
        if self.secret is None:
            return None
        signed = headers["X-Hitl-Timestamp"].encode() + b"." + body
        expected = "sha256=" + hmac.new(self.secret.encode(), signed, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, headers.get("X-Hitl-Signature", ""))

    def accepted(self) -> list[str]:
        """Event ids answered with a 2xx."""
        with self._lock:
            return [r["id"] for r in self.requests if 200 <= r["status"] < 300]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
