"""MongoClient factory: short timeouts, one clear error when the server is unreachable."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pymongo import MongoClient
from pymongo.errors import (
    AutoReconnect,
    ConfigurationError,
    ConnectionFailure,
    InvalidURI,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)

from hitl_tui.db.embedded import EmbeddedServer, public_uri_of
from hitl_tui.db.uri import redact_uri, uri_hosts
from hitl_tui.errors import DatabaseUnavailable, HitlError, UsageError
from hitl_tui.hitl.safe_text import one_line
from hitl_tui.settings import Settings

_FIRST_ADDRESS = re.compile(r"^\[?([\w.\-:]+?)\]?:(\d+): ")
_TIMEOUT = re.compile(r"Timeout: ([\d.]+)s")


@dataclass
class Connection:
    client: MongoClient
    uri: str
    embedded: bool

    @property
    def shown_uri(self) -> str:
        """The URI as it may be printed (password hidden, options dropped for the embedded one)."""
        return public_uri_of(self.uri) if self.embedded else redact_uri(self.uri)

    def close(self) -> None:
        self.client.close()


def resolve_uri(settings: Settings) -> tuple[str, bool]:
    """The URI to use, starting the embedded server when MONGODB_URI is unset."""
    if settings.mongodb_uri:
        return settings.mongodb_uri, False
    return EmbeddedServer(settings.data_dir).ensure_running(), True


def check_uri(uri: str) -> None:
    """UsageError when the driver would refuse `uri`, found without connecting anywhere
    (a mongodb+srv URI is only resolved when connecting: a DNS failure is not a typo)."""
    from pymongo.uri_parser import parse_uri

    if uri.startswith("mongodb+srv://"):
        return
    try:
        parse_uri(uri)
    except (ConfigurationError, InvalidURI, ValueError, TypeError) as error:
        reason = one_line(_scrub(str(error), uri), 160)
        raise UsageError(f"bad MongoDB URI {redact_uri(uri)}: {reason}") from None


def connect(settings: Settings, *, ping: bool = True) -> Connection:
    uri, embedded = resolve_uri(settings)
    timeout_ms = int(settings.connect_timeout_seconds * 1000)
    try:
        client: MongoClient = MongoClient(
            uri,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            socketTimeoutMS=max(timeout_ms * 10, 30_000),
            appname="hitl-tui",
            tz_aware=True,
        )
    except (ConfigurationError, InvalidURI, ValueError, TypeError) as error:
        reason = one_line(_scrub(str(error), uri), 160)
        raise UsageError(f"bad MongoDB URI {redact_uri(uri)}: {reason}") from None
    except PyMongoError as error:
        raise DatabaseUnavailable(human_error(error, uri)) from None
    connection = Connection(client, uri, embedded)
    if ping:
        try:
            client.admin.command("ping")
        except PyMongoError as error:
            client.close()
            if isinstance(error, OperationFailure):
                raise DatabaseUnavailable(human_error(error, uri)) from None
            raise DatabaseUnavailable(
                f"{human_error(error, uri)}; is the server running?"
            ) from None
    return connection


def is_database_lost(error: BaseException) -> bool:
    """Whether the database could not be reached (as opposed to refusing something)."""
    return isinstance(error, ConnectionFailure)


def is_too_large(error: BaseException) -> bool:
    """A document over MongoDB's 16 MB limit: the user's input, not the database, is at fault."""
    from pymongo.errors import DocumentTooLarge

    return isinstance(error, DocumentTooLarge)


def is_database_error(error: BaseException) -> bool:
    """Whether the error came from the database driver, or says where the tickets are is
    out of reach (an Agent Server down): the only kinds a worker absorbs."""
    return isinstance(error, PyMongoError | DatabaseUnavailable)


def human_error(error: BaseException, uri: str | None = None) -> str:
    """One line a person can act on: never a driver's topology dump, never a secret.

    e.g. "database unreachable at 127.0.0.1:27017 after 3 s"."""
    if isinstance(error, HitlError):
        return str(error)
    if isinstance(error, ConnectionFailure | ServerSelectionTimeoutError | AutoReconnect):
        message = str(error)
        address = _FIRST_ADDRESS.match(message)
        where = f"{address.group(1)}:{address.group(2)}" if address else None
        if where is None:
            where = uri_hosts(uri) if uri else "the database"
        timeout = _TIMEOUT.search(message)
        after = f" after {float(timeout.group(1)):g} s" if timeout else ""
        return one_line(f"database unreachable at {where}{after}", 200)
    if isinstance(error, OperationFailure):
        details = error.details or {}
        if error.code == 18 or "auth" in str(details.get("codeName", "")).lower():
            return "the database refused the credentials (authentication failed)"
        reason = details.get("errmsg") or details.get("codeName") or f"code {error.code}"
        return one_line(f"the database refused the operation: {reason}", 200)
    if isinstance(error, PyMongoError):
        first = str(error).split(", Topology Description")[0]
        return one_line(f"database error: {_scrub(first, uri)}", 200)
    return one_line(f"{type(error).__name__}: {_scrub(str(error), uri)}", 200)


def _scrub(message: str, uri: str | None) -> str:
    """`message` without the credentials of `uri`, should a driver ever quote them."""
    if uri and "@" in uri:
        credentials = uri.split("://", 1)[-1].rpartition("@")[0]
        for secret in {credentials, credentials.partition(":")[2]} - {""}:
            message = message.replace(secret, "***")
    return message
