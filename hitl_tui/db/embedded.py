"""The embedded SecantusDB server: one detached process per data directory, shared by
every terminal of the same user.

It runs as a separate program (`secantusd-py`), never imported: the product's licence
stays its own and closing a terminal does not take the server with it. A file lock makes
"check, then start" atomic, so two terminals started together end up on one server.

Nothing in it is open to other local users: the data directory is 0700, every file we or
the daemon create is 0600, and the server requires SCRAM-SHA-256. Its one user is created
on first start (the only moment it runs without `--auth`, on a port nobody knows yet);
the generated password lives in a 0600 file that every command of the same user reads.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
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
AUTH_OPTIONS = "authSource=admin&authMechanism=SCRAM-SHA-256"
USER = "hitl"
START_TIMEOUT_SECONDS = 15.0
PRIVATE = 0o077  # umask: what we create is for this user only


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    uri: str | None
    data_dir: str
    pid: int | None

    def as_json(self) -> dict:
        return asdict(self)


def client_uri(port: int, password: str) -> str:
    return f"mongodb://{USER}:{password}@127.0.0.1:{port}/?{CLIENT_OPTIONS}&{AUTH_OPTIONS}"


def public_uri(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}"


def public_uri_of(uri: str) -> str:
    """The shown form of a `client_uri`: address only, no credentials, no options."""
    return public_uri(int(uri.rpartition("@")[2].split("/")[0].rpartition(":")[2]))


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
        self.password_file = self.data_dir / "password"

    # -- queries ------------------------------------------------------------------
    def status(self) -> ServerStatus:
        state = self._read_state()
        if state and _alive(state["pid"]) and _accepts(state["port"]):
            return ServerStatus(True, public_uri(state["port"]), str(self.data_dir), state["pid"])
        return ServerStatus(False, None, str(self.data_dir), None)

    # -- lifecycle ----------------------------------------------------------------
    def ensure_running(self) -> str:
        """Return the client URI (with credentials) of the running server, starting it
        if needed."""
        with _private_umask():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.data_dir.chmod(0o700)
            with self._locked():
                password = self._read_password()
                state = self._read_state()
                if state and _alive(state["pid"]):
                    if password is not None and state.get("auth"):
                        if _wait_accepting(state["port"], timeout=5.0):
                            return client_uri(state["port"], password)
                    else:  # a server of an earlier version, without authentication
                        self._terminate(state["pid"])
                if password is not None:
                    return client_uri(self._start(auth=True), password)
                fresh = not self.storage_path.exists()
                password = self._create_user()
                uri = client_uri(self._start(auth=True), password)
                _undo_the_open_window(uri, fresh)
                return uri

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the server if it runs; True when one was stopped."""
        if not self.data_dir.exists():
            return False
        with _private_umask(), self._locked():
            state = self._read_state()
            if not state or not _alive(state["pid"]):
                self.state_file.unlink(missing_ok=True)
                return False
            self._terminate(state["pid"], timeout)
            return True

    def _terminate(self, pid: int, timeout: float = 10.0) -> None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        self.state_file.unlink(missing_ok=True)

    def _create_user(self) -> str:
        """Create the one user on a server started without auth on a fresh port, keep
        its password in a private file, and stop that server again. A data directory
        from an earlier version (no password file) is migrated the same way."""
        from pymongo import MongoClient, WriteConcern
        from pymongo.errors import OperationFailure, PyMongoError

        _make_private(self.data_dir)
        password = secrets.token_urlsafe(32)
        port = _free_port()
        process = self._spawn(port, auth=False)
        try:
            self._wait_started(process, port)
            client: MongoClient = MongoClient(
                f"mongodb://127.0.0.1:{port}/?{CLIENT_OPTIONS}", serverSelectionTimeoutMS=5000
            )
            try:
                try:
                    client.admin.command("createUser", USER, pwd=password, roles=["root"])
                except OperationFailure:  # left by an interrupted first start: reset it
                    client.admin.command("updateUser", USER, pwd=password)
                # A journaled write flushes the log, user included, so the server can be
                # killed instead of shut down cleanly (which takes seconds).
                client.admin.get_collection(
                    "hitl_setup", write_concern=WriteConcern(w=1, j=True)
                ).insert_one({"user": USER})
            except PyMongoError as error:
                raise DatabaseUnavailable(
                    f"could not set up the embedded database's user in {self.data_dir} "
                    f"({type(error).__name__}); move that directory away to start afresh"
                ) from None
            finally:
                client.close()
        finally:
            process.kill()
            process.wait(timeout=START_TIMEOUT_SECONDS)
        temporary = self.password_file.with_suffix(".tmp")
        temporary.write_text(password)
        temporary.replace(self.password_file)
        return password

    def _spawn(self, port: int, *, auth: bool) -> subprocess.Popen:
        self.config_file.touch()
        command = [
            _daemon_executable(),
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
        ]
        log = open(self.log_file, "ab")
        try:
            return subprocess.Popen(
                [*command, "--auth"] if auth else command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                close_fds=True,
                umask=PRIVATE,
            )
        finally:
            log.close()

    def _wait_started(self, process: subprocess.Popen, port: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise DatabaseUnavailable(
                    f"the embedded database exited at start (see {self.log_file})"
                )
            if _accepts(port):
                return
            time.sleep(0.02)
        process.terminate()
        raise DatabaseUnavailable(
            f"the embedded database did not start within {START_TIMEOUT_SECONDS:.0f} s "
            f"(see {self.log_file})"
        )

    def _start(self, *, auth: bool) -> int:
        port = self._port_to_use()
        process = self._spawn(port, auth=auth)
        self._wait_started(process, port)
        self._write_state({"pid": process.pid, "port": port, "auth": auth})
        self.port_file.write_text(str(port))
        return port

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
            return {
                "pid": int(state["pid"]),
                "port": int(state["port"]),
                "auth": state.get("auth") is True,
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def _read_password(self) -> str | None:
        try:
            password = self.password_file.read_text().strip()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise DatabaseUnavailable(
                f"cannot read the embedded database's password file {self.password_file} "
                f"({error.strerror})"
            ) from None
        return password or None

    def _write_state(self, state: dict) -> None:
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(self.state_file)


def _undo_the_open_window(uri: str, fresh: bool) -> None:
    """While the user was being created the server ran without auth for about a second:
    drop any user someone else slipped in, and on a new directory any data too."""
    from pymongo import MongoClient

    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        listed = client.admin.command({"usersInfo": 1})["users"]
        for user in listed:
            if user["user"] != USER:
                client[user["db"]].command("dropUser", user["user"])
        if fresh:
            for name in client.list_database_names():
                if name not in ("admin", "local", "config"):
                    client.drop_database(name)
        client.admin.drop_collection("hitl_setup")


@contextlib.contextmanager
def _private_umask() -> Iterator[None]:
    previous = os.umask(PRIVATE)
    try:
        yield
    finally:
        os.umask(previous)


def _make_private(directory: Path) -> None:
    """Close a data directory an earlier version left readable: 0700 folders, 0600 files."""
    for root, folders, files in os.walk(directory):
        for folder in folders:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(root, folder), 0o700)
        for name in files:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(root, name), 0o600)


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
