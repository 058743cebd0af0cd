"""Connection strings as they may be shown: never with a password."""

from __future__ import annotations

import re

_USERINFO = re.compile(r"^(?P<scheme>mongodb(?:\+srv)?://)(?P<userinfo>[^@/]*)@", re.IGNORECASE)
_QUERY_SECRETS = re.compile(r"(?i)((?:password|secret|token|key)[^=&]*=)[^&]*")


def redact_uri(uri: str) -> str:
    """Hide the password of `user:password@` and secret-looking query options."""

    def hide(match: re.Match[str]) -> str:
        user, _, _password = match.group("userinfo").partition(":")
        shown = f"{user}:***" if _ else user
        return f"{match.group('scheme')}{shown}@"

    return _QUERY_SECRETS.sub(r"\1***", _USERINFO.sub(hide, uri, count=1))
