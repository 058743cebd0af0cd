"""The embedded SecantusDB server: one detached process per data directory, shared by
every terminal of the same user.

It runs as a separate program (`secantusd-py`), never imported: the product's licence
stays its own and closing a terminal does not take the server with it. A file lock makes
"check, then start" atomic, so two terminals started together end up on one server.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from shutil import which

from hitl_tui.errors import DatabaseUnavailable

CLIENT_OPTIONS = "directConnection=true&retryWrites=false&journal=true"
START_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    uri: str | None
    data_dir: str
    pid: int | None

    def as_json(self) -> dict:
        return asdict(self)


def client_uri(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?{CLIENT_OPTIONS}"


def public_uri(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}"


class EmbeddedServer:
    """Start, find and stop the SecantusDB daemon that owns `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.storage_path = self.data_dir / "db"
        self.state_file = self.data_dir / "server.json"
        self.lock_file = self.data_dir / "server.lock"
        self.config_file = self.data_dir / "secantusd.toml"
        self.log_file = self.data_dir / "server.log"
        self.port_file = self.data_dir / "server.port"

    # -- queries ------------------------------------------------------------------
    def status(self) -> ServerStatus:
        state = self._read_state()
        if state and _alive(state["pid"]) and _accepts(state["port"]):
            return ServerStatus(True, public_uri(state["port"]), str(self.data_dir), state["pid"])
        return ServerStatus(False, None, str(self.data_dir), None)

    # -- lifecycle ----------------------------------------------------------------
    def ensure_running(self) -> str:
        """Return the client URI of the running server, starting it if needed."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._locked():
            state = self._read_state()
            if state and _alive(state["pid"]):
                if _wait_accepting(state["port"], timeout=5.0):
                    return client_uri(state["port"])
            return client_uri(self._start())

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the server if it runs; True when one was stopped."""
        if not self.data_dir.exists():
            return False
        with self._locked():
            state = self._read_state()
            if not state or not _alive(state["pid"]):
                self.state_file.unlink(missing_ok=True)
                return False
            os.kill(state["pid"], signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _alive(state["pid"]) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(state["pid"]):
                os.kill(state["pid"], signal.SIGKILL)
            self.state_file.unlink(missing_ok=True)
            return True

    def _start(self) -> int:
        executable = _daemon_executable()
        self.config_file.touch()
        port = self._port_to_use()
        log = open(self.log_file, "ab")
        try:
            process = subprocess.Popen(
                [
                    executable,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--storage-path",
                    str(self.storage_path),
                    "--config",
                    str(self.config_file),
                    "--log-level",
                    "WARNING",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                close_fds=True,
            )
        finally:
            log.close()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise DatabaseUnavailable(
                    f"the embedded database exited at start (see {self.log_file})"
                )
            if _accepts(port):
                self._write_state({"pid": process.pid, "port": port})
                self.port_file.write_text(str(port))
                return port
            time.sleep(0.05)
        process.terminate()
        raise DatabaseUnavailable(
            f"the embedded database did not start within {START_TIMEOUT_SECONDS:.0f} s "
            f"(see {self.log_file})"
        )

    def _port_to_use(self) -> int:
        """The port used last time if it is free, so clients connected before a restart
        find the server again; otherwise any free port."""
        try:
            previous = int(self.port_file.read_text())
        except (OSError, ValueError):
            return _free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
            try:
                probe.bind(("127.0.0.1", previous))
            except OSError:
                return _free_port()
        return previous

    # -- files --------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.lock_file, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _read_state(self) -> dict | None:
        try:
            state = json.loads(self.state_file.read_text())
            return {"pid": int(state["pid"]), "port": int(state["port"])}
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_state(self, state: dict) -> None:
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(self.state_file)


def _daemon_executable() -> str:
    beside_python = Path(sys.executable).with_name("secantusd-py")
    if beside_python.exists():
        return str(beside_python)
    found = which("secantusd-py")
    if found:
        return found
    raise DatabaseUnavailable(
        "secantusd-py was not found; install the project (make install) or set MONGODB_URI"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie left by our own Popen is not alive
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().split(")")[-1].split()[0] == "Z":
                return False
    return True


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError):
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    return False


def _wait_accepting(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _accepts(port):
            return True
        time.sleep(0.05)
    return False
