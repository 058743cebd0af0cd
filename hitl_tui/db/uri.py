"""Connection strings and URLs as they may be shown: never with a secret.

Redaction must not depend on the secret being well formed: credentials are split at the
*last* `@` (a password may contain `@`, `/`, `:` or `?`), the rest is checked with
pymongo's own parser, and anything that does not parse is shown as `<redacted URI>`.
"""

from __future__ import annotations

import re
import warnings
from urllib.parse import unquote_plus, urlsplit

from hitl_tui.hitl.safe_text import visible

REDACTED_URI = "<redacted URI>"
REDACTED_URL = "<redacted URL>"
_SCHEMES = ("mongodb://", "mongodb+srv://")
_SECRET_KEY = re.compile(
    r"pass|pwd|secret|token|key|credential|signature|sig$|authmechanismproperties|session|cookie|bearer",
    re.IGNORECASE,
)
_NOT_IN_A_USER_NAME = re.compile(r"[/?#=&]")


def redact_uri(uri: str) -> str:
    """`uri` with its password and every secret-looking option hidden."""
    try:
        scheme, user, rest, parsed = _split(uri)
    except Exception:  # any parse failure: show nothing rather than guess
        return REDACTED_URI
    shown = scheme
    if user is not None:
        shown += f"{user}@"
    shown += _hosts(parsed)
    path, _, query = rest.partition("?")
    database = path.partition("/")[2]
    if database or query:
        shown += "/" + database
    if query:
        shown += "?" + _redact_query(query)
    return visible(shown)


def uri_hosts(uri: str) -> str:
    """Where `uri` points (`host:port,…`), for error messages; never a credential."""
    try:
        return visible(_hosts(_split(uri)[3]))
    except Exception:
        return "the configured database"


def redact_url(url: str) -> str:
    """An HTTP(S) URL (e.g. OPENAI_BASE_URL) without user info, fragment or secret query
    values; `<redacted URL>` when it cannot be parsed."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        if not parts.scheme or not host:
            return REDACTED_URL
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return REDACTED_URL
    userinfo = "***@" if "@" in parts.netloc else ""
    shown = f"{parts.scheme}://{userinfo}{host}{parts.path}"
    if parts.query:
        shown += "?" + _redact_query(parts.query)
    return visible(shown)


def _split(uri: str) -> tuple[str, str | None, str, dict]:
    """(scheme, user as shown or None, the part after the credentials, pymongo's parse)."""
    scheme = next(s for s in _SCHEMES if uri.lower().startswith(s))  # StopIteration: not one
    userinfo, at, rest = uri[len(scheme) :].rpartition("@")
    user = None
    if at:
        name, colon, _password = userinfo.partition(":")
        if _NOT_IN_A_USER_NAME.search(name) or "?" in userinfo or "#" in userinfo:
            raise ValueError("the last @ may be inside the options, not after credentials")
        user = f"{name}:***" if colon else name
    from pymongo.uri_parser import parse_uri

    # Always the plain scheme: a mongodb+srv URI would otherwise make the parser ask DNS.
    default_port = None if scheme == "mongodb+srv://" else 27017
    with warnings.catch_warnings():  # an unknown option is the driver's to report, not ours
        warnings.simplefilter("ignore")
        parsed = parse_uri("mongodb://" + rest, default_port, validate=False, warn=True)
    return scheme, user, rest, parsed


def _hosts(parsed: dict) -> str:
    return ",".join(_host(host, port) for host, port in parsed["nodelist"])


def _host(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port is not None else shown


def _redact_query(query: str) -> str:
    pairs = []
    for pair in re.split(r"[&;]", query):
        key, equals, value = pair.partition("=")
        if equals and _SECRET_KEY.search(unquote_plus(key)):
            value = "***"
        pairs.append(f"{key}{equals}{value}")
    return "&".join(pairs)
