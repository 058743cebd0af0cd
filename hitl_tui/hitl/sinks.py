"""Where a watcher sends an event: stdout, a command, a webhook.

Each output raises DeliveryFailed with a one-line reason when the event did not get
through, and the watcher tries again later. Nothing here prints a webhook URL (a Slack
URL is itself a secret) or the signing secret.
"""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlsplit

from hitl_tui import __version__
from hitl_tui.errors import UsageError
from hitl_tui.hitl.jsonsafe import dumps
from hitl_tui.hitl.safe_text import visible

SIGNATURE_HEADER = "X-Hitl-Signature"
TIMESTAMP_HEADER = "X-Hitl-Timestamp"
EVENT_ID_HEADER = "X-Hitl-Event-Id"


class DeliveryFailed(Exception):
    """The event did not get through this output; the message is one line."""


class Output(Protocol):
    name: str

    def send(self, event: dict) -> None: ...


class StdoutOutput:
    """One line per event: JSON for scripts, or a readable line for a tmux pane."""

    name = "stdout"

    def __init__(self, as_json: bool, write: Callable[[str], None] | None = None) -> None:
        self.as_json = as_json
        self._write = write or _write_stdout

    def send(self, event: dict) -> None:
        if self.as_json:
            self._write(dumps(event))
            return
        when = event["at"][11:19]
        self._write(visible(f"{when}  {event['type']:<19} {event['text']}"))


def _write_stdout(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class ExecOutput:
    """Runs CMD through the shell with the event JSON on stdin (never in the command line).

    CMD's own output goes to stderr, so stdout stays one event per line.
    """

    name = "exec"

    def __init__(self, command: str, timeout: float = 30.0) -> None:
        self.command = command
        self.timeout = timeout

    def send(self, event: dict) -> None:
        try:
            done = subprocess.run(
                self.command,
                shell=True,
                input=(dumps(event) + "\n").encode(),
                stdout=sys.stderr.fileno() if _has_fileno(sys.stderr) else subprocess.DEVNULL,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise DeliveryFailed(f"--exec command ran longer than {self.timeout:g}s") from None
        except OSError as error:
            raise DeliveryFailed(f"--exec command could not start: {error.strerror}") from None
        if done.returncode != 0:
            raise DeliveryFailed(f"--exec command exited with {done.returncode}")


def _has_fileno(stream: object) -> bool:
    try:
        stream.fileno()  # type: ignore[attr-defined]
        return True
    except (AttributeError, OSError, ValueError):
        return False


def check_webhook_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError("--webhook needs an http:// or https:// URL")
    return url


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `TIMESTAMP.BODY` (the exact bytes sent) under the
    secret: a receiver recomputes it, compares in constant time and rejects old timestamps."""
    signed = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would turn the POST into a GET and lose the event: treat it as a failure."""

    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


_opener = urllib.request.build_opener(_NoRedirects)


class WebhookOutput:
    """POSTs the event JSON; its `text` field is what Slack and Mattermost show."""

    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str | None = None,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = check_webhook_url(url)
        self.host = urlsplit(url).hostname or "?"
        self.secret = secret
        self.timeout = timeout
        self.clock = clock

    def request(self, event: dict) -> urllib.request.Request:
        body = dumps(event).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"hitl-tui/{__version__}",
            EVENT_ID_HEADER: event["id"],
        }
        if self.secret:
            timestamp = str(int(self.clock()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = signature(self.secret, timestamp, body)
        return urllib.request.Request(self.url, data=body, headers=headers, method="POST")

    def send(self, event: dict) -> None:
        try:
            with _opener.open(self.request(event), timeout=self.timeout) as answer:
                answer.read(4096)
        except urllib.error.HTTPError as error:
            raise DeliveryFailed(f"webhook at {self.host} answered HTTP {error.code}") from None
        except TimeoutError:
            raise DeliveryFailed(
                f"webhook at {self.host} did not answer within {self.timeout:g}s"
            ) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise DeliveryFailed(f"webhook at {self.host} unreachable: {reason}") from None
