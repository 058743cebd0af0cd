"""The command line says what to do next: the right `resume` flags for each kind, and how
to free a claim left behind."""

from __future__ import annotations

import json

from hitl_tui.hitl import claims
from hitl_tui.hitl.conversation import ask
from tests.conftest import run_cli


def test_ask_prints_the_resume_flags_of_the_ticket_kind(cli_env):
    approval = run_cli(["ask", "Please delete the customer database gamma"], cli_env)
    assert "--approve | --reject [--reason TEXT] | --edit JSON" in approval.stdout
    question = run_cli(["ask", "How do I configure SSL certificates for nginx?"], cli_env)
    assert "--data TEXT" in question.stdout and "--approve" not in question.stdout


def test_a_claim_conflict_says_how_to_release_it(hub, cli_env):
    asked = ask(hub, "How do I configure SSL certificates for nginx?")
    claims.acquire(hub.store, asked.thread_id, asked.pending[0].interrupt_id, "root", 60)
    refused = run_cli(["resume", asked.thread_id, "--data", "x", "--json"], cli_env)
    assert refused.returncode == 4
    assert f"hitl-tui release {asked.thread_id}" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    run_cli(["release", asked.thread_id], cli_env)
    done = run_cli(["resume", asked.thread_id, "--data", "x", "--json"], cli_env)
    assert done.returncode == 0 and json.loads(done.stdout)["status"] == "answered"
