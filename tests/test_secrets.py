"""Secrets never print, and the embedded server is closed to everyone but its user."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from hitl_tui import cli
from hitl_tui.agent.models import describe_model
from hitl_tui.db.client import human_error
from hitl_tui.db.embedded import EmbeddedServer
from hitl_tui.db.uri import redact_uri, redact_url
from hitl_tui.settings import Settings
from tests.conftest import run_cli

LEAKY_URIS = [
    ("mongodb://ops:pa/ss%2Fw0rd@127.0.0.1:{port}/", ["pa/ss", "w0rd"]),
    ("mongodb://ops:P@SSW0RD@127.0.0.1:{port}/", ["SSW0RD", "P@SS"]),
    (
        "mongodb://127.0.0.1:{port}/?authMechanism=MONGODB-AWS"
        "&authMechanismProperties=AWS_SESSION_TOKEN:SeSsIoNtOkEn",
        ["SeSsIoNtOkEn"],
    ),
    (
        "mongodb://ops:hunter2@127.0.0.1:{port}/?tlsCertificateKeyFilePassword=KeyPassw0rd",
        ["hunter2", "KeyPassw0rd"],
    ),
    ("mongodb://127.0.0.1:{port}/?password=hun@ter2", ["hun", "ter2"]),
    ("mongodb://ops:hunter2@127.0.0.1:notaport/", ["hunter2"]),
    ("mongodb+srv://ops:hunter2@cluster0.example.net/?appName=x", ["hunter2"]),
    ("mongodb://ops:hun\x1b]52;c;ter2@127.0.0.1:{port}/", ["hun", "ter2", "\x1b"]),
]


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cli(args: list[str], env: dict[str, str], monkeypatch) -> tuple[int, str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(args)
    return code, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("template, secrets", LEAKY_URIS)
def test_leaky_uri_forms_print_no_secret(template, secrets, tmp_path, monkeypatch):
    uri = template.format(port=_free_port())
    shown = redact_uri(uri)
    assert not [s for s in secrets if s in shown], shown
    env = {
        "MONGODB_URI": uri,
        "HITL_DATA_DIR": str(tmp_path / "data"),
        "HITL_CONNECT_TIMEOUT": "0.3",
    }
    code, printed = _cli(["db", "start"], env, monkeypatch)
    assert code == 2 and not [s for s in secrets if s in printed], printed
    code, printed = _cli(["pending"], env, monkeypatch)
    assert code in (2, 5), printed
    assert not [s for s in secrets if s in printed], printed
    assert printed.count("\n") == 1 and "Topology" not in printed, printed


def test_redacted_forms_keep_what_helps():
    assert redact_uri("mongodb://ops:P@SS@db1:27017,db2:27018/app?replicaSet=rs0") == (
        "mongodb://ops:***@db1:27017,db2:27018/app?replicaSet=rs0"
    )
    assert redact_uri("not a uri with hunter2") == "<redacted URI>"
    assert redact_url("http://user:pw@llm.internal:8080/v1?api-key=k3y&v=2#x") == (
        "http://***@llm.internal:8080/v1?api-key=***&v=2"
    )


def test_model_label_hides_base_url_credentials():
    settings = Settings(
        _env_file=None,
        openai_api_key="sk-secret",
        openai_base_url="http://user:pw5678@llm.internal/v1?api-key=k3y9",
    )
    label = describe_model(settings)
    assert "llm.internal" in label
    assert not [s for s in ("pw5678", "k3y9", "sk-secret", "user:") if s in label]
    assert "pw5678" not in repr(settings) and "sk-secret" not in repr(settings)


def test_unreachable_database_is_one_human_line():
    port = _free_port()
    client: MongoClient = MongoClient(
        f"mongodb://ops:hunter2@127.0.0.1:{port}/", serverSelectionTimeoutMS=300
    )
    try:
        client.admin.command("ping")
    except Exception as error:  # the driver's own error, whatever its class
        message = human_error(error)
    finally:
        client.close()
    assert message == f"database unreachable at 127.0.0.1:{port} after 0.3 s"


# -- the embedded server ------------------------------------------------------------


@pytest.fixture
def private_server(tmp_path):
    server = EmbeddedServer(tmp_path / "data")
    yield server
    server.stop()


def _modes(root: Path) -> dict[str, int]:
    return {
        str(path.relative_to(root)): stat.S_IMODE(path.stat().st_mode)
        for path in [root, *root.rglob("*")]
    }


def test_data_at_rest_is_private_and_the_server_requires_credentials(private_server):
    uri = private_server.ensure_running()
    modes = _modes(private_server.data_dir)
    assert modes["."] == 0o700 and modes["db"] == 0o700
    assert {p: m for p, m in modes.items() if m not in (0o700, 0o600)} == {}
    assert stat.S_IMODE(private_server.password_file.stat().st_mode) == 0o600

    with MongoClient(uri, serverSelectionTimeoutMS=3000) as client:
        client.hitl.docs.insert_one({"n": 1})
    address = private_server.status().uri
    with MongoClient(address, serverSelectionTimeoutMS=3000, directConnection=True) as stranger:
        with pytest.raises(OperationFailure) as refused:
            stranger.hitl.docs.find_one()
        assert refused.value.code == 13
        with pytest.raises(OperationFailure):
            stranger.hitl.docs.insert_one({"forged": True})
    wrong = uri.replace(private_server.password_file.read_text(), "not-the-password")
    with MongoClient(wrong, serverSelectionTimeoutMS=3000) as guesser:
        with pytest.raises(OperationFailure):
            guesser.hitl.docs.find_one()


def test_cli_never_prints_the_generated_password(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "HITL_"))}
    env["HITL_DATA_DIR"] = str(tmp_path / "cli-data")
    password_file = tmp_path / "cli-data" / "password"
    try:
        started = run_cli(["db", "start"], env)
        password = password_file.read_text()
        status = run_cli(["db", "status", "--json"], env)
        asked = run_cli(["ask", "hello?"], env)
        for result in (started, status, asked):
            assert result.returncode == 0, result.stderr
            assert password not in result.stdout + result.stderr
        assert json.loads(status.stdout)["uri"].startswith("mongodb://127.0.0.1:")
    finally:
        run_cli(["db", "stop"], env)


def test_data_dir_of_an_earlier_version_is_migrated(tmp_path):
    """An earlier version left an open directory and a server without authentication."""
    server = EmbeddedServer(tmp_path / "old")
    server.storage_path.mkdir(parents=True)
    for path in (server.data_dir, server.storage_path):
        path.chmod(0o755)
    server.config_file.touch()
    port = _free_port()
    old = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("secantusd-py")),
            *("--host", "127.0.0.1", "--port", str(port)),
            *("--storage-path", str(server.storage_path), "--config", str(server.config_file)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        umask=0o022,
    )
    try:
        with MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true&journal=true") as c:
            c.hitl.docs.insert_one({"kept": True})
        server.state_file.write_text(json.dumps({"pid": old.pid, "port": port}))
        server.state_file.chmod(0o644)

        uri = server.ensure_running()

        assert old.wait(timeout=15) is not None  # the open server was replaced
        with MongoClient(uri, serverSelectionTimeoutMS=3000) as client:
            assert client.hitl.docs.find_one({"kept": True})  # the data came along
        address = server.status().uri
        with MongoClient(address, serverSelectionTimeoutMS=3000, directConnection=True) as c:
            with pytest.raises(OperationFailure):
                c.hitl.docs.find_one()
        modes = _modes(server.data_dir)
        assert {p: m for p, m in modes.items() if m not in (0o700, 0o600)} == {}
    finally:
        server.stop()
        if old.poll() is None:
            old.kill()


def test_whoever_slips_in_while_the_user_is_created_is_dropped(tmp_path, monkeypatch):
    """First start runs briefly without auth: a user or data planted then does not stay."""
    server = EmbeddedServer(tmp_path / "raced")
    spawn = server._spawn

    def spawn_and_let_a_stranger_in(port, *, auth):
        process = spawn(port, auth=auth)
        if not auth:
            server._wait_started(process, port)
            with MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true") as stranger:
                stranger.admin.command("createUser", "mallory", pwd="x", roles=["root"])
                stranger.hitl.audit.insert_one({"forged": True})
        return process

    monkeypatch.setattr(server, "_spawn", spawn_and_let_a_stranger_in)
    try:
        uri = server.ensure_running()
        with MongoClient(uri, serverSelectionTimeoutMS=3000) as client:
            users = [u["user"] for u in client.admin.command({"usersInfo": 1})["users"]]
            assert users == ["hitl"]
            assert "hitl" not in client.list_database_names()
        mallory = uri.replace(f"hitl:{server.password_file.read_text()}", "mallory:x")
        with MongoClient(mallory, serverSelectionTimeoutMS=3000) as client:
            with pytest.raises(OperationFailure):
                client.hitl.audit.find_one()
    finally:
        server.stop()
