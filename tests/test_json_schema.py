"""The strict checker edits go through: it refuses what does not fit and never converts."""

from __future__ import annotations

import pytest

from hitl_tui.hitl.json_schema import decision_types, edit_args_schema, first_error

TOOL = {
    "type": "object",
    "properties": {
        "order_id": {"type": "integer"},
        "amount": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
        "mode": {"enum": ["fast", "slow"]},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        "note": {"anyOf": [{"type": "string", "minLength": 1}, {"type": "null"}]},
    },
    "required": ["order_id", "amount"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"order_id": 1, "amount": 2.5}, None),
        ({"order_id": 1, "amount": 3, "note": None, "tags": ["a"]}, None),
        ({"order_id": "1", "amount": 2}, "order_id: must be integer, got string"),
        ({"order_id": True, "amount": 2}, "order_id: must be integer, got boolean"),
        ({"order_id": 1.0, "amount": 2}, "order_id: must be integer, got number"),
        ({"order_id": 1}, "amount: is required"),
        ({"order_id": 1, "amount": 0}, "amount: must be greater than 0"),
        ({"order_id": 1, "amount": 101}, "amount: must be at most 100"),
        ({"order_id": 1, "amount": 1, "mode": "x"}, "mode: must be one of 'fast', 'slow'"),
        ({"order_id": 1, "amount": 1, "tags": ["a", 2]}, "tags.1: must be string, got integer"),
        ({"order_id": 1, "amount": 1, "tags": ["a"] * 3}, "tags: allows at most 2 items"),
        ({"order_id": 1, "amount": 1, "note": ""}, "note: matches none of the choices"),
        ({"order_id": 1, "amount": 1, "extra": 1}, "extra: is not expected here"),
        ([1], "must be object, got array"),
    ],
)
def test_tool_arguments(value, error):
    assert first_error(value, TOOL) == error


RESPONSE = {
    "$defs": {
        "Approve": {"properties": {"type": {"const": "approve"}}, "required": ["type"]},
        "Edit": {
            "properties": {
                "type": {"const": "edit"},
                "edited_action": {"$ref": "#/$defs/Action"},
            },
            "required": ["type", "edited_action"],
        },
        "Action": {
            "properties": {"name": {"const": "send"}, "args": {"$ref": "#/$defs/Args"}},
            "required": ["name", "args"],
        },
        "Args": {"properties": {"to": {"type": "string"}}, "required": ["to"]},
    },
    "discriminator": {
        "propertyName": "type",
        "mapping": {"approve": "#/$defs/Approve", "edit": "#/$defs/Edit"},
    },
    "oneOf": [{"$ref": "#/$defs/Approve"}, {"$ref": "#/$defs/Edit"}],
}


def test_a_per_call_response_schema_is_read_and_checked_by_its_discriminator():
    assert decision_types(RESPONSE) == ("approve", "edit")
    args = edit_args_schema(RESPONSE)
    assert first_error({"to": 3}, args) == "to: must be string, got integer"
    good = {"type": "edit", "edited_action": {"name": "send", "args": {"to": "x"}}}
    assert first_error(good, RESPONSE) is None
    wrong_tool = {"type": "edit", "edited_action": {"name": "wipe", "args": {"to": "x"}}}
    assert first_error(wrong_tool, RESPONSE) == "edited_action.name: must be 'send'"
    assert first_error({"type": "respond"}, RESPONSE) == "matches none of the choices"
    assert decision_types({"type": "object"}) is None
