"""The headless commands as separate OS processes, as the seed's two terminals run them."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from langgraph.checkpoint.mongodb import MongoDBSaver
from pymongo import MongoClient

from tests.conftest import run_cli
from tests.graphs_review import builder as review_builder

HERE = Path(__file__).parent
SEED = HERE / "seed_app" / "graph.py"
REVIEW = HERE / "graphs_review.py"
PENDING_KEYS = {
    "thread_id",
    "interrupt_id",
    "kind",
    "value",
    "tool_calls",
    "created_at",
    "age_seconds",
    "claimed_by",
}


def test_user_process_exits_waiting_admin_process_answers_later(cli_env):
    asked = run_cli(["ask", "How do I configure SSL certificates for nginx?", "--json"], cli_env)
    assert asked.returncode == 0, asked.stderr
    ticket = json.loads(asked.stdout)
    assert ticket["status"] == "waiting" and ticket["answer"] is None
    assert set(ticket) == {"thread_id", "status", "answer", "pending"}
    thread = ticket["thread_id"]

    listed = run_cli(["pending", "--json"], cli_env)
    [item] = json.loads(listed.stdout)
    assert PENDING_KEYS <= set(item)
    assert item["kind"] == "query" and item["thread_id"] == thread
    assert item["tool_calls"][0]["args"] == {
        "query": "How do I configure SSL certificates for nginx?"
    }

    answered = run_cli(["resume", thread, "--data", "Run certbot --nginx", "--json"], cli_env)
    assert answered.returncode == 0, answered.stderr
    assert "Run certbot --nginx" in json.loads(answered.stdout)["answer"]

    shown = json.loads(run_cli(["show", thread, "--json"], cli_env).stdout)
    assert set(shown) >= {"thread_id", "next", "messages", "pending"}
    assert shown["next"] == [] and shown["pending"] == []
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant", "tool", "assistant"]
    assert "Run certbot --nginx" in shown["messages"][-1]["content"]
    assert json.loads(run_cli(["pending", "--json"], cli_env).stdout) == []


def test_human_output_names_the_model_and_the_thread(cli_env):
    faq = run_cli(["ask", "How do I reset my password?"], cli_env)
    assert faq.returncode == 0
    assert "offline support model" in faq.stdout and "Reset password" in faq.stdout
    waiting = run_cli(["ask", "Where is my parcel?", "--thread", "parcel-1"], cli_env)
    assert "waiting for an operator on thread parcel-1" in waiting.stdout
    pending = run_cli(["pending"], cli_env)
    assert "parcel-1" in pending.stdout and "Where is my parcel?" in pending.stdout


def test_seed_program_thread_12_is_listed_and_answered(cli_env):
    user = subprocess.run(
        [sys.executable, str(SEED), "user", "How do I rotate keys?"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert user.returncode == 0, user.stderr
    [item] = json.loads(run_cli(["pending", "--json"], cli_env).stdout)
    assert item["thread_id"] == "12"
    assert item["value"] == {"query": "How do I rotate keys?"}
    assert item["tool_calls"][0]["name"] == "human_assistance"

    answered = run_cli(
        [
            "resume",
            "12",
            "--data",
            "Use the key vault",
            "--json",
            "--graph",
            f"{SEED}:graph_builder",
        ],
        cli_env,
    )
    assert answered.returncode == 0, answered.stderr
    assert (
        json.loads(answered.stdout)["answer"]
        == "Here's the solution from our expert:\nUse the key vault"
    )


def test_seed_admin_sees_answer_written_by_resume_of_other_process(cli_env):
    """The seed's own admin_main can still resume what the seed's user_main wrote."""
    subprocess.run(
        [sys.executable, str(SEED), "user", "Help"],
        env=cli_env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    admin = subprocess.run(
        [sys.executable, str(SEED), "admin", "Done"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "User Query: Help" in admin.stdout
    assert json.loads(run_cli(["pending", "--json"], cli_env).stdout) == []


@pytest.fixture
def review_thread(settings):
    client = MongoClient(settings.mongodb_uri)
    graph = review_builder.compile(checkpointer=MongoDBSaver(client, settings.db_name))
    graph.invoke({"messages": []}, {"configurable": {"thread_id": "review-1"}})
    client.close()
    return "review-1"


def test_foreign_graph_needs_graph_option(cli_env, review_thread):
    refused = run_cli(["resume", review_thread, "--data", "yes"], cli_env)
    assert refused.returncode == 2
    assert "another graph" in refused.stderr and "--graph" in refused.stderr
    assert refused.stderr.count("\n") == 1
    for attr in ("builder", "compiled", "make_builder"):
        shown = run_cli(["show", review_thread, "--graph", f"{REVIEW}:{attr}", "--json"], cli_env)
        assert json.loads(shown.stdout)["next"] == ["review"]
    done = run_cli(
        [
            "resume",
            review_thread,
            "--data",
            "ship it",
            "--graph",
            f"{REVIEW}:make_builder",
            "--json",
        ],
        cli_env,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["answer"] == "Reviewer said: ship it"


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["resume", "nosuch", "--data", "x"], 3, "not found"),
        (["show", "nosuch"], 3, "not found"),
        (["show", "bad id!"], 3, "not found"),
        (["show", "x" * 1001], 2, "invalid thread id"),
        (["resume", "x", "--data", "a", "--approve"], 2, "not allowed with"),
        (["resume", "x"], 2, "choose a decision"),
        (["resume", "x", "--reason", "r"], 2, "add --reject"),
        (["resume", "x", "--json-value", "{bad"], 2, "line 1 column 2"),
        (["frobnicate"], 2, "invalid choice"),
        (["pending", "--graph", "nosuch_module_xyz:graph"], 0, ""),
        (["show", "x", "--graph", "nosuch_module_xyz:graph"], 3, "not found"),
        (["resume", "x", "--data", "a", "--graph", f"{REVIEW}:not_a_graph"], 3, "not found"),
    ],
)
def test_exit_codes(cli_env, args, code, needle):
    result = run_cli(args, cli_env)
    assert result.returncode == code, result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_graph_is_exit_2(cli_env, review_thread):
    for spec, needle in [
        (f"{REVIEW}:not_a_graph", "not a StateGraph"),
        ("nosuch_module_xyz:graph", "importing nosuch_module_xyz failed"),
        (f"{REVIEW}:missing", "no attribute"),
        ("nocolon", "MODULE_OR_FILE:ATTR"),
    ]:
        result = run_cli(["resume", review_thread, "--data", "a", "--graph", spec], cli_env)
        assert result.returncode == 2, result.stderr
        assert needle in result.stderr


def test_answered_twice_is_exit_4(cli_env):
    ticket = json.loads(run_cli(["ask", "Broken login", "--json"], cli_env).stdout)
    assert run_cli(["resume", ticket["thread_id"], "--data", "fixed"], cli_env).returncode == 0
    again = run_cli(["resume", ticket["thread_id"], "--data", "fixed"], cli_env)
    assert again.returncode == 4
    assert "already answered by bob" in again.stderr


def test_unreachable_database_is_exit_5_quickly(cli_env, unused_port):
    env = {**cli_env, "MONGODB_URI": f"mongodb://admin:hunter2@127.0.0.1:{unused_port}/"}
    started = time.monotonic()
    result = run_cli(["pending"], env)
    elapsed = time.monotonic() - started
    assert result.returncode == 5
    # Far below pymongo's own 30 s server selection, with room for a loaded machine to start
    # the process: the 3 s limit itself is asserted by the message below.
    assert elapsed < 12
    assert "hunter2" not in result.stderr
    assert f"database unreachable at 127.0.0.1:{unused_port} after 3 s" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_db_init_creates_the_saver_indexes_and_the_hint_asks_for_them(cli_env, settings, mongo):
    """Nothing is created on MongoDBSaver's collections of someone else's database behind
    their back: a big collection without our index gets a one-line hint, `db init` fixes it."""
    writes = mongo[settings.db_name]["checkpoint_writes"]
    writes.insert_many([{"checkpoint_ns": "elsewhere", "n": n} for n in range(1000)])
    listed = run_cli(["pending", "--json"], cli_env)
    assert listed.returncode == 0, listed.stderr
    assert "hitl-tui db init" in listed.stderr and listed.stderr.count("\n") == 1
    wanted = [("checkpoint_ns", 1), ("_id", 1)]
    assert wanted not in [list(i["key"].items()) for i in writes.list_indexes()]
    done = run_cli(["db", "init"], cli_env)
    assert done.returncode == 0 and "indexes ready" in done.stdout, done.stderr
    assert wanted in [list(i["key"].items()) for i in writes.list_indexes()]
    again = run_cli(["pending", "--json"], cli_env)
    assert again.returncode == 0 and again.stderr == ""
    mongo.drop_database(settings.db_name)
