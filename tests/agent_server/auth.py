"""Custom auth for the test server: one key, sent as `x-api-key` by the SDK and hitl-tui."""

from __future__ import annotations

import os

from langgraph_sdk import Auth

auth = Auth()


@auth.authenticate
async def authenticate(headers: dict) -> str:
    key = headers.get(b"x-api-key") or headers.get("x-api-key")
    if isinstance(key, bytes):
        key = key.decode()
    if not key or key != os.environ.get("HITL_TEST_SERVER_KEY"):
        raise Auth.exceptions.HTTPException(status_code=401, detail="missing or wrong key")
    return "operator"
