"""Decisions in words, from either shape of audit record."""

from __future__ import annotations

from hitl_tui.hitl.decision_log import decided_entries
from hitl_tui.hitl.decision_text import changes, decision_summary, tool_title


def test_changes_name_the_field_and_the_step():
    assert changes({"amount": 40.0, "id": "1"}, {"amount": 35.0, "id": "1"}) == [
        "changed amount from 40.0 to 35.0"
    ]
    assert changes(["a", "b", "c"], ["a", "c"]) == ["removed step 2 (b)"]
    assert changes(["a", "b"], ["b", "a"]) == ["changed the order of the steps"]


def test_summary_says_who_did_what_with_friendly_titles():
    edit = {"action": "edit", "args": {"amount": 35.0}}
    said = decision_summary(edit, {"amount": 40.0}, "refund_order")
    assert (
        said == "An operator approved Refund order with changes: changed amount from 40.0 to 35.0."
    )
    rejected = decision_summary({"action": "reject", "text": "dup"}, None, "delete_db")
    assert rejected == "An operator rejected Delete db: dup"
    assert tool_title("send_email") == "Send email"


def test_decided_entries_read_one_record_per_decision_or_one_event_per_step():
    record = {
        "thread_id": "t",
        "interrupt_id": "i",
        "decision": {"action": "approve"},
        "outcome": "resumed",
        "started_at": "2026-01-01T00:00:00",
    }
    assert decided_entries([record])[0]["outcome"] == "resumed"
    events = [
        {"event": "claimed", "thread_id": "t", "interrupt_id": "i"},
        {
            "event": "started",
            "thread_id": "t",
            "interrupt_id": "i",
            "at": "2026-01-01",
            "decision": {"action": "reject"},
            "payload": {"data": "rejected", "reason": "dup"},
            "checkpoint_before": "c1",
        },
        {"event": "resumed", "thread_id": "t", "interrupt_id": "i", "checkpoint_after": "c2"},
    ]
    [row] = decided_entries(events)
    assert row["outcome"] == "resumed" and row["decision"]["text"] == "dup"
    assert row["started_at"] == "2026-01-01" and row["checkpoint_before"] == "c1"
