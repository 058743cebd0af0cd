"""Turn what the Agent Server client raises into one clear line with the contract's exit code.

A missing or refused key is a configuration error (exit 2): retrying cannot help, setting
LANGGRAPH_API_KEY does. An unreachable server is exit 5, like an unreachable database.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
from langgraph_sdk import errors as sdk_errors

from hitl_tui.errors import DatabaseUnavailable, HitlError, NotFoundError, UsageError
from hitl_tui.hitl.safe_text import one_line


class ServerUnavailable(DatabaseUnavailable):
    """The Agent Server did not answer (refused, timed out, or dropped the connection): where
    the tickets are is out of reach, as with a lost database, and the console waits alike."""


class ServerRefused(UsageError):
    """The Agent Server refused our key (401/403): fixing the key is the way out."""


class ServerError(HitlError):
    """The Agent Server answered with an error we cannot act on."""

    exit_code = 1


def detail(error: Exception) -> str:
    """The server's own reason, as a visible single line."""
    body = getattr(error, "body", None)
    text = body.get("detail") or body.get("message") if isinstance(body, dict) else None
    return one_line(text or getattr(error, "message", None) or error, width=160)


@contextlib.contextmanager
def server_errors(url: str, *, missing: str | None = None) -> Iterator[None]:
    """Map client errors; `missing` is what a 404 (or an id the server rejects) means."""
    try:
        yield
    except (sdk_errors.AuthenticationError, sdk_errors.PermissionDeniedError) as error:
        status = error.status_code
        hint = (
            "set LANGGRAPH_API_KEY (or --api-key)"
            if status == 401
            else "the key in LANGGRAPH_API_KEY is not allowed to do this"
        )
        raise ServerRefused(
            f"the Agent Server at {url} refused the request ({status} {detail(error)}); {hint}"
        ) from None
    except (sdk_errors.NotFoundError, sdk_errors.UnprocessableEntityError) as error:
        if missing is None:
            raise ServerError(f"the Agent Server at {url} answered: {detail(error)}") from None
        raise NotFoundError(missing) from None
    except sdk_errors.APIStatusError as error:
        raise ServerError(
            f"the Agent Server at {url} answered {error.status_code}: {detail(error)}"
        ) from None
    except (httpx.TransportError, sdk_errors.APIConnectionError) as error:
        raise ServerUnavailable(
            f"Agent Server unreachable at {url} ({type(error).__name__}); is it running?"
        ) from None
