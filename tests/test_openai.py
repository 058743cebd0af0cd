"""The OpenAI path against a local fake server: the real ChatOpenAI client code runs."""

from __future__ import annotations

import json

from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.kinds import RESPOND, Decision
from hitl_tui.hitl.resume import resume
from hitl_tui.runtime import Hub
from tests.conftest import run_cli
from tests.fake_openai import FakeOpenAI


def test_openai_model_escalates_and_relays(settings):
    with FakeOpenAI() as fake:
        settings = settings.model_copy(
            update={
                "openai_api_key": "sk-test-key",
                "openai_model": "gpt-test",
                "openai_base_url": fake.base_url,
            }
        )
        hub = Hub(settings)
        try:
            assert hub.model_label == f"OpenAI gpt-test at {fake.base_url}"
            asked = ask(hub, "Why is my export failing?")
            assert asked.status == "waiting"
            assert asked.pending[0].value == {"query": "Why is my export failing?"}
            done = resume(hub, asked.thread_id, Decision(RESPOND, text="Retry after 5 min"), "al")
        finally:
            hub.close()
    assert done.answer == "An operator says: Retry after 5 min"
    first = fake.requests[0]
    assert first["path"] == "/v1/chat/completions"
    assert first["body"]["model"] == "gpt-test"
    assert first["auth"] == "Bearer sk-test-key"
    assert [t["function"]["name"] for t in first["body"]["tools"]][0] == "human_assistance"
    assert fake.requests[-1]["body"]["messages"][-1]["role"] == "tool"


def test_cli_ask_uses_openai_when_key_is_set(cli_env):
    with FakeOpenAI() as fake:
        env = {
            **cli_env,
            "OPENAI_API_KEY": "sk-x",
            "OPENAI_BASE_URL": fake.base_url,
            "OPENAI_MODEL": "gpt-cli",
        }
        result = run_cli(["ask", "Is the API down?", "--json"], env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["status"] == "waiting"
        human = run_cli(["ask", "Is the API down?"], env)
    assert "OpenAI gpt-cli" in human.stdout
    assert len(fake.requests) == 2
