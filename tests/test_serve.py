"""`hitl-tui serve`: only the holder of the printed link, from the served page, can drive it."""

from __future__ import annotations

import asyncio
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import run_cli


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    def __init__(self, process: subprocess.Popen, port: int, url: str) -> None:
        self.process, self.port, self.url = process, port, url
        self.base = f"http://127.0.0.1:{port}"
        self.secret = url.split("key=", 1)[1]
        self.origin = self.base

    def ws(self, key: str | None = None, operator: str = "alice") -> str:
        return f"ws://127.0.0.1:{self.port}/ws/{key or self.secret}/{operator}?width=80&height=24"


@pytest.fixture
def served(cli_env) -> Iterator[Served]:
    yield from _serve(cli_env, ["--max-sessions", "1", "--db-name", "served_db"])


def _serve(env: dict[str, str], extra: list[str]) -> Iterator[Served]:
    port = _free_port()
    url_file = Path(env["HITL_DATA_DIR"]) / "serve-url"
    process = subprocess.Popen(
        [sys.executable, "-m", "hitl_tui", "serve", "--port", str(port), "--mode", "admin", *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not url_file.exists() or not _accepts(port):
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "serve never started"
            time.sleep(0.05)
        assert stat.S_IMODE(url_file.stat().st_mode) == 0o600
        yield Served(process, port, url_file.read_text().strip())
    finally:
        process.terminate()
        process.wait(timeout=15)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


async def _status(url: str, **kwargs) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.get(url, **kwargs) as reply:
            return reply.status, await reply.text()


async def _handshake(url: str, origin: str | None) -> int:
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(url, headers=headers):
                return 101
        except aiohttp.WSServerHandshakeError as error:
            return error.status


def _console_processes(root: int) -> list[int]:
    """The consoles `serve` spawned (descendants of `root` running hitl_tui)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found = []
    for pid in parents:
        ancestor = parents.get(pid)
        while ancestor and ancestor != root:
            ancestor = parents.get(ancestor)
        if ancestor == root:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"hitl_tui" in cmdline:
                found.append(pid)
    return found


def _environment(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(p.decode().split("=", 1) for p in pairs if b"=" in p)


def test_no_secret_no_page_no_websocket(served):
    async def check() -> None:
        assert (await _status(f"{served.base}/"))[0] == 401
        assert (await _status(f"{served.base}/?key=wrong"))[0] == 401
        status, page = await _status(served.url)
        assert status == 200 and 'name="operator"' in page  # asks for the name first
        status, page = await _status(f"{served.url}&operator=alice")
        assert status == 200 and f"/ws/{served.secret}/alice" in page
        assert await _handshake(f"ws://127.0.0.1:{served.port}/ws", served.origin) == 401
        assert await _handshake(served.ws(key="guess"), served.origin) == 401
        assert await _handshake(served.ws(), "http://evil.example") == 403
        assert await _handshake(served.ws(), None) == 403
        evil_host = {"Host": f"evil.example:{served.port}"}  # DNS rebinding
        assert (await _status(served.url, headers=evil_host))[0] == 403

    asyncio.run(check())


def test_session_cap_and_the_console_gets_options_and_operator(served, cli_env):
    async def check() -> None:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(
                served.ws(operator="Ann%20Ops"), headers={"Origin": served.origin}
            ) as first:
                await first.receive(timeout=30)  # the console is running
                assert await _handshake(served.ws(), served.origin) == 503
                status, page = await _status(f"{served.url}&operator=bob")
                assert status == 503 and "full" in page
                [console] = _console_processes(served.process.pid)
                environment = _environment(console)
                assert environment["HITL_DB_NAME"] == "served_db"
                assert environment["MONGODB_URI"] == cli_env["MONGODB_URI"]
                assert environment["HITL_OPERATOR"] == "Ann Ops (web 127.0.0.1)"
                assert cli_env["MONGODB_URI"] not in " ".join(
                    Path(f"/proc/{console}/cmdline").read_text().split("\0")
                )
        deadline = time.monotonic() + 20
        while await _handshake(served.ws(), served.origin) != 101:  # the slot frees up
            assert time.monotonic() < deadline, "the session slot was never freed"
            await asyncio.sleep(0.2)

    asyncio.run(check())


def test_non_loopback_needs_public(cli_env):
    result = run_cli(["serve", "--host", "0.0.0.0", "--port", str(_free_port())], cli_env)
    assert result.returncode == 2 and "--public" in result.stderr
    assert result.stderr.count("\n") == 1


def test_public_warns_to_put_tls_in_front(cli_env):
    generator = _serve(cli_env, ["--host", "0.0.0.0", "--public"])
    served = next(generator)
    try:
        served.process.terminate()
        printed = served.process.communicate(timeout=15)[0]
    finally:
        generator.close()
    assert "TLS" in printed and served.secret in printed
    assert cli_env["MONGODB_URI"] not in printed
