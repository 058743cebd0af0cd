"""Serve the console to a web browser (textual-serve) that only its operator can open.

Each run makes a secret (256 bits) that the page and the websocket require; the websocket
also requires an Origin equal to the host the page was served from, so another site open
in the same browser cannot drive the console. Sessions are capped, because each one is a
console process. The operator types a name once per browser; the spawned console acts
under that name and the client's address. A non-loopback address needs `--public`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import os
import secrets
import shlex
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from hitl_tui import output
from hitl_tui.errors import UsageError
from hitl_tui.hitl.safe_text import one_line
from hitl_tui.settings import Settings

OPERATOR_COOKIE = "hitl_operator"
# Not cached, not leaked in a Referer, not framed by another site.
_PRIVATE_PAGE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}
MAX_OPERATOR_LENGTH = 64


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def operator_name(raw: str) -> str | None:
    """A name typed into the browser, as it may be recorded: one visible line, or None."""
    name = one_line(raw.strip(), MAX_OPERATOR_LENGTH)
    return name or None


def serve(
    settings: Settings,
    host: str,
    port: int,
    mode: str,
    graph_spec: str | None,
    *,
    public: bool = False,
    max_sessions: int = 4,
) -> int:
    if max_sessions < 1:
        raise UsageError("--max-sessions must be at least 1")
    if not is_loopback(host) and not public:
        raise UsageError(
            f"refusing to serve on {host}, which is not loopback: anyone who can reach it "
            "could try the console. Add --public behind a TLS reverse proxy, or use an SSH "
            "tunnel to 127.0.0.1 (see README)"
        )
    if public:
        output.error(
            f"warning: serving on {host} without TLS; put a TLS reverse proxy in front "
            "(see README), the secret in the URL is readable on the wire"
        )
    command = [sys.executable, "-m", "hitl_tui"]
    if mode != "both":
        command.append(mode)
    if graph_spec:
        command += ["--graph", graph_spec]
    # Through the environment, not the command line: `ps` shows arguments to everyone.
    if settings.mongodb_uri:
        os.environ["MONGODB_URI"] = settings.mongodb_uri
    os.environ["HITL_DB_NAME"] = settings.db_name
    for name, value in (
        ("LANGGRAPH_SERVER_URL", settings.langgraph_server_url),
        ("LANGGRAPH_API_KEY", settings.langgraph_api_key),
        ("LANGGRAPH_ASSISTANT", settings.langgraph_assistant),
    ):
        if value:
            os.environ[name] = value
    secret = secrets.token_urlsafe(32)
    shown_host = socket.gethostname() if host in ("0.0.0.0", "::") else host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    url = f"http://{shown_host}:{port}/?key={secret}"
    url_file = _write_private(settings.data_dir / "serve-url", url + "\n")
    output.line(("serving the console at ", "bold"), url, ("  (ctrl+c stops)", "dim"))
    output.line(("the link is also in ", "dim"), (str(url_file), "dim"))
    server = guarded_server(
        shlex.join(command),
        host=host,
        port=port,
        title="hitl-tui",
        secret=secret,
        max_sessions=max_sessions,
        public=public,
    )
    try:
        server.serve()
    finally:
        url_file.unlink(missing_ok=True)
    return 0


def _write_private(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    return path


def _server_class() -> Any:
    """Imported late: aiohttp and textual-serve are only needed by `serve`."""
    import aiohttp_jinja2
    from aiohttp import web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server, to_int

    class OperatorAppService(AppService):
        """A console process that acts under the browser's operator name and address."""

        def __init__(self, *args: Any, operator: str, address: str, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.operator = operator
            self.address = address

        def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
            environment = super()._build_environment(width, height)
            environment["HITL_OPERATOR"] = f"{self.operator} (web {self.address})"
            return environment

    class Guarded(Server):
        def __init__(
            self, *args: Any, secret: str, max_sessions: int, public: bool, **kwargs: Any
        ) -> None:
            super().__init__(*args, **kwargs)
            self.secret = secret
            self.max_sessions = max_sessions
            self.public = public
            self.sessions = 0

        async def _make_app(self) -> web.Application:
            app = web.Application()
            aiohttp_jinja2.setup(app, loader=_templates(self.templates_path))
            app.add_routes(
                [
                    web.get("/", self.handle_index, name="index"),
                    web.get("/ws/{key}/{operator}", self.handle_websocket, name="websocket"),
                    web.get("/ws", self.refuse),
                    web.get("/ws/{key}", self.refuse),
                    web.static("/static", self.statics_path, name="static"),
                ]
            )
            app.on_startup.append(self.on_startup)
            return app

        async def on_startup(self, app: web.Application) -> None:
            """Quiet: `serve` has printed the link already."""

        def initialize_logging(self) -> None:
            """Nothing: request logs would print the secret in every URL."""

        def _has_secret(self, given: str | None) -> bool:
            return given is not None and hmac.compare_digest(given.encode(), self.secret.encode())

        def _allowed_host(self, host: str) -> bool:
            """Loopback names or the served host: a rebound DNS name is refused."""
            if self.public:
                return True
            try:
                name = urlsplit(f"//{host}").hostname or ""
            except ValueError:
                return False
            return is_loopback(name) or name == self.host

        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            if not self._has_secret(request.query.get("key")):
                return _page(401, "This console needs the link that `hitl-tui serve` printed.")
            if not self._allowed_host(request.host):
                return _page(403, "This console is not served under that host name.")
            if self.sessions >= self.max_sessions:
                return _full_page(self.max_sessions)
            typed = request.query.get("operator")
            operator = operator_name(typed or request.cookies.get(OPERATOR_COOKIE, ""))
            if operator is None:
                return _page(200, _operator_form(request.query["key"]), raw_html=True)
            secure = request.secure or request.headers.get("X-Forwarded-Proto") == "https"
            websocket_url = (
                f"{'wss' if secure else 'ws'}://{request.host}"
                f"/ws/{quote(self.secret, safe='')}/{quote(operator, safe='')}"
            )
            context = {
                "font_size": to_int(request.query.get("fontsize", "16"), 16),
                "app_websocket_url": websocket_url,
                "config": {"static": {"url": "/static/"}},
                "application": {"name": self.title},
            }
            response = aiohttp_jinja2.render_template("app_index.html", request, context)
            response.set_cookie(
                OPERATOR_COOKIE, operator, httponly=True, samesite="Strict", secure=secure
            )
            response.headers.update(_PRIVATE_PAGE)
            return response

        async def refuse(self, request: web.Request) -> web.StreamResponse:
            return _page(401, "This console needs the link that `hitl-tui serve` printed.")

        async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
            if not self._has_secret(request.match_info["key"]):
                return _page(401, "This console needs the link that `hitl-tui serve` printed.")
            origin = request.headers.get("Origin", "")
            if urlsplit(origin).netloc != request.host or not self._allowed_host(request.host):
                return _page(403, "The websocket must come from the page this server served.")
            operator = operator_name(request.match_info["operator"])
            if operator is None:
                return _page(400, "An operator name is needed.")
            if self.sessions >= self.max_sessions:
                return _full_page(self.max_sessions)
            self.sessions += 1
            try:
                return await self._run_session(request, operator)
            finally:
                self.sessions -= 1

        async def _run_session(self, request: web.Request, operator: str) -> web.StreamResponse:
            websocket = web.WebSocketResponse(heartbeat=15)
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            service: OperatorAppService | None = None
            try:
                await websocket.prepare(request)
                service = OperatorAppService(
                    self.command,
                    write_bytes=websocket.send_bytes,
                    write_str=websocket.send_str,
                    close=websocket.close,
                    download_manager=self.download_manager,
                    debug=False,
                    operator=operator,
                    address=request.remote or "unknown",
                )
                await service.start(width, height)
                await self._process_messages(websocket, service)
            except asyncio.CancelledError:
                await websocket.close()
            except Exception:  # a broken session ends; the server and others carry on
                with contextlib.suppress(Exception):
                    await websocket.close()
            finally:
                if service is not None:
                    await service.stop()
            return websocket

    return Guarded


def guarded_server(*args: Any, **kwargs: Any) -> Any:
    return _server_class()(*args, **kwargs)


def _templates(path: Path) -> Any:
    import jinja2

    return jinja2.FileSystemLoader(path)


def _operator_form(key: str) -> str:
    import html

    return f"""<!doctype html><meta charset="utf-8"><title>hitl-tui</title>
<style>body{{font-family:sans-serif;background:#111;color:#eee;display:grid;
place-items:center;height:100vh;margin:0}}input,button{{font-size:1.1em;padding:.3em}}</style>
<form method="get"><p>Your name as an operator (it is recorded in the audit):</p>
<input name="operator" maxlength="{MAX_OPERATOR_LENGTH}" required autofocus>
<input type="hidden" name="key" value="{html.escape(key, quote=True)}">
<button>Open the console</button></form>"""


def _page(status: int, message: str, raw_html: bool = False) -> Any:
    import html

    from aiohttp import web

    body = (
        message
        if raw_html
        else (
            '<!doctype html><meta charset="utf-8"><title>hitl-tui</title>'
            f"<p style='font-family:sans-serif'>{html.escape(message)}</p>"
        )
    )
    return web.Response(
        status=status,
        text=body,
        content_type="text/html",
        headers=_PRIVATE_PAGE,
    )


def _full_page(limit: int) -> Any:
    return _page(
        503,
        f"The console is full: {limit} session(s) are open, the most this server allows "
        "(hitl-tui serve --max-sessions). Close one, then reload this page.",
    )
