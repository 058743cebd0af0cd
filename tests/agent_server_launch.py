"""Start a real `langgraph dev` Agent Server on the graphs in tests/agent_server, offline.

Its langgraph.json is written into a scratch directory with absolute paths, so the
server's own files (`.langgraph_api/`) land there and never in the repository. Every
network setting points at 127.0.0.1: nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).parent
GRAPHS = HERE / "agent_server"
SERVER_KEY = "test-server-key"
_API_LINE = re.compile(r"API: (?:\x1b\[[0-9;]*m)?(http://127\.0\.0\.1:(\d+))")


@dataclass
class AgentServer:
    url: str
    key: str
    effects: Path
    process: subprocess.Popen

    def effects_lines(self) -> list[str]:
        return self.effects.read_text().splitlines() if self.effects.exists() else []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def offline_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for anything that talks to the test server: no real keys or hosts."""
    env = {
        k: v
        for k, v in (base if base is not None else os.environ).items()
        if not k.startswith(("LANGSMITH_", "LANGCHAIN_", "LANGGRAPH_", "OPENAI_"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env.update(
        LANGGRAPH_CLI_NO_ANALYTICS="1",
        LANGGRAPH_NO_VERSION_CHECK="true",
        LANGSMITH_TRACING="false",
        LANGCHAIN_TRACING_V2="false",
        LANGSMITH_ENDPOINT="http://127.0.0.1:9",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env


def _absolute(spec: str) -> str:
    path, _, attr = spec.partition(":")
    return f"{(GRAPHS / path).resolve()}:{attr}"


def _write_config(workdir: Path) -> Path:
    """tests/agent_server/langgraph.json with its paths made absolute."""
    config = json.loads((GRAPHS / "langgraph.json").read_text())
    config["dependencies"] = [str((GRAPHS / d).resolve()) for d in config["dependencies"]]
    config["graphs"] = {name: _absolute(spec) for name, spec in config["graphs"].items()}
    config["auth"]["path"] = _absolute(config["auth"]["path"])
    path = workdir / "langgraph.json"
    path.write_text(json.dumps(config, indent=2))
    return path


@contextmanager
def running_agent_server(workdir: Path, startup_timeout: float = 90.0) -> Iterator[AgentServer]:
    """A `langgraph dev` server with custom auth (key SERVER_KEY); stopped on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = _write_config(workdir)
    effects = workdir / "effects.log"
    env = offline_env()
    env.update(HITL_TEST_EFFECTS=str(effects), HITL_TEST_SERVER_KEY=SERVER_KEY)
    command = [
        str(Path(sys.executable).parent / "langgraph"),
        "dev",
        "--no-browser",
        "--no-reload",
        "--host",
        "127.0.0.1",
        "--port",
        str(free_port()),
        "--config",
        str(config),
    ]
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    found: list[str] = []
    log: list[str] = []

    def read() -> None:  # keep draining, or the server blocks on a full pipe
        assert process.stdout is not None
        for line in process.stdout:
            log.append(line)
            match = _API_LINE.search(line)
            if match and not found:
                found.append(match.group(1))  # the port it really took, if ours was taken

    threading.Thread(target=read, daemon=True).start()
    try:
        url = _wait_until_ready(process, found, log, startup_timeout)
        yield AgentServer(url=url, key=SERVER_KEY, effects=effects, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(
    process: subprocess.Popen, found: list[str], log: list[str], timeout: float
) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("langgraph dev exited:\n" + "".join(log[-30:]))
        if found:
            try:
                if httpx.get(f"{found[0]}/ok", timeout=1).status_code == 200:
                    return found[0]
            except httpx.TransportError:
                pass
        time.sleep(0.1)  # polling a condition, with a deadline
    raise RuntimeError("langgraph dev did not start in time:\n" + "".join(log[-30:]))
