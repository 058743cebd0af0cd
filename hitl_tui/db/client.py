"""MongoClient factory: short timeouts, one clear error when the server is unreachable."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo import MongoClient
from pymongo.errors import ConfigurationError, InvalidURI, PyMongoError

from hitl_tui.db.embedded import EmbeddedServer
from hitl_tui.db.uri import redact_uri
from hitl_tui.errors import DatabaseUnavailable, UsageError
from hitl_tui.settings import Settings


@dataclass
class Connection:
    client: MongoClient
    uri: str
    embedded: bool

    @property
    def shown_uri(self) -> str:
        """The URI as it may be printed (password hidden, options dropped for the embedded one)."""
        return redact_uri(self.uri.split("/?")[0] if self.embedded else self.uri)

    def close(self) -> None:
        self.client.close()


def resolve_uri(settings: Settings) -> tuple[str, bool]:
    """The URI to use, starting the embedded server when MONGODB_URI is unset."""
    if settings.mongodb_uri:
        return settings.mongodb_uri, False
    return EmbeddedServer(settings.data_dir).ensure_running(), True


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
    except (ConfigurationError, InvalidURI) as error:
        raise UsageError(f"bad MongoDB URI {redact_uri(uri)}: {error}") from None
    except PyMongoError as error:
        raise DatabaseUnavailable(unreachable_message(uri, error)) from None
    connection = Connection(client, uri, embedded)
    if ping:
        try:
            client.admin.command("ping")
        except PyMongoError as error:
            client.close()
            raise DatabaseUnavailable(unreachable_message(uri, error)) from None
    return connection


def unreachable_message(uri: str, error: Exception | None = None) -> str:
    reason = type(error).__name__ if error is not None else "no answer"
    return f"database unreachable at {redact_uri(uri)} ({reason}); is the server running?"
