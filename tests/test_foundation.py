"""The seed's support-ticket flow end to end, in one process, on a real server."""

from __future__ import annotations

from hitl_tui.hitl.conversation import ask, thread_json
from hitl_tui.hitl.inbox import Inbox
from hitl_tui.hitl.kinds import RESPOND, Decision
from hitl_tui.hitl.resume import resume


def test_ticket_waits_then_operator_answer_reaches_user(hub):
    asked = ask(hub, "How do I configure SSL certificates for nginx?")
    assert asked.status == "waiting"
    assert asked.answer is None
    [item] = asked.pending
    assert item.kind == "query"
    assert item.value == {"query": "How do I configure SSL certificates for nginx?"}
    assert item.tool_calls[0]["name"] == "human_assistance"

    inbox = Inbox(hub.store).refresh()
    assert [(i.thread_id, i.interrupt_id) for i in inbox] == [(asked.thread_id, item.interrupt_id)]

    done = resume(hub, asked.thread_id, Decision(RESPOND, text="Run certbot --nginx."), "alice")
    assert "Run certbot --nginx." in done.answer
    assert Inbox(hub.store).refresh() == []


def test_faq_question_is_answered_without_an_operator(hub):
    result = ask(hub, "How do I reset my password?")
    assert result.status == "answered"
    assert "Reset password" in result.answer
    assert Inbox(hub.store).refresh() == []


def test_thread_json_has_roles_and_tool_calls(hub):
    asked = ask(hub, "My invoice is wrong")
    snapshot_json = thread_json(
        __import__("hitl_tui.hitl.conversation", fromlist=["thread"]).thread(hub, asked.thread_id)
    )
    roles = [m["role"] for m in snapshot_json["messages"]]
    assert roles == ["user", "assistant"]
    assert snapshot_json["messages"][1]["tool_calls"][0]["args"] == {"query": "My invoice is wrong"}
    assert snapshot_json["next"] == ["tools"]
    assert len(snapshot_json["pending"]) == 1
