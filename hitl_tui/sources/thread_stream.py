"""Follow one thread on an Agent Server: its event stream, read on a daemon thread.

The server has no feed for new interrupts, but it streams each thread's runs starting and
ending; the console follows the open ticket's thread this way, so a ticket answered
elsewhere closes at once instead of at the next poll.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable

import httpx

# Runs starting and ending, and state updates. The server pings an idle stream every
# 15 s, so a read that waits longer than this means it is gone.
FOLLOWED_EVENTS = "lifecycle,state_update"
FOLLOW_READ_SECONDS = 45.0
FOLLOW_MAX_BACKOFF_SECONDS = 10.0

_log = logging.getLogger(__name__)


class ThreadFollower:
    """Reads a thread's event stream (`GET /threads/ID/stream`) on a daemon thread.

    The SDK's `join_stream(stream_mode=...)` sends `stream_mode`, which this server version
    ignores; the server reads `stream_modes`, so the request is made here. Every event (a
    run's start or end, a state update) calls `on_change`; the caller re-reads the thread.
    A dropped stream is reopened with backoff, and `on_change` runs once it is back, since
    events may have been missed meanwhile."""

    def __init__(self, client: httpx.Client, thread_id: str, on_change: Callable[[], None]):
        self.client = client
        self.thread_id = thread_id
        self.on_change = on_change
        self.supported: bool | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._response: httpx.Response | None = None
        self._thread = threading.Thread(target=self._run, name="hitl-follow", daemon=True)

    def start(self) -> ThreadFollower:
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def wait_ready(self, timeout: float) -> bool | None:
        """Block until the stream is open (True) or refused (False); None if not yet."""
        self._ready.wait(timeout)
        return self.supported

    def stop(self, timeout: float | None = None) -> None:
        """Never blocks unless `timeout` is given: the reading thread closes the client."""
        self._stop.set()
        self._hang_up()
        if timeout is not None and self._thread.is_alive():
            self._thread.join(timeout)

    def _hang_up(self) -> None:
        """End a read blocked on the open stream: closing the client alone does not."""
        response = self._response
        stream = response.extensions.get("network_stream") if response is not None else None
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _run(self) -> None:
        try:
            self._follow()
        finally:
            self.client.close()

    def _follow(self) -> None:
        backoff, missed = 0.5, False
        while not self._stop.is_set():
            try:
                with self.client.stream(
                    "GET",
                    f"/threads/{self.thread_id}/stream",
                    params={"stream_modes": FOLLOWED_EVENTS},
                ) as response:
                    self._response = response
                    if self._stop.is_set():
                        return
                    if response.status_code >= 400:
                        self.supported = False  # refused: the caller keeps polling
                        self._ready.set()
                        return
                    self.supported = True
                    self._ready.set()
                    backoff = 0.5
                    if missed:
                        self._call()
                    for line in response.iter_lines():
                        if self._stop.is_set():
                            return
                        if line.startswith("event:"):
                            self._call()
            except (httpx.HTTPError, RuntimeError):  # dropped, or closed by `stop`
                pass
            missed = True
            self._stop.wait(backoff)
            backoff = min(backoff * 2, FOLLOW_MAX_BACKOFF_SECONDS)

    def _call(self) -> None:
        if self._stop.is_set():
            return
        try:
            self.on_change()
        except Exception:  # the caller's bug must not end the stream
            _log.exception("on_change failed")
