"""A representative few upstream patterns answered through the console with Pilot."""

from __future__ import annotations

from langchain_core.messages import ToolMessage

from hitl_tui.console.answer_box import AnswerBox, AnswerEditor
from hitl_tui.console.app import HitlApp
from hitl_tui.console.confirm import ConfirmDecision
from hitl_tui.console.inbox_table import InboxTable
from hitl_tui.console.operator_pane import OperatorPane
from hitl_tui.runtime import Hub
from tests.console_helpers import wait_until


def _hub(settings, spec: str, graph_input, thread: str) -> Hub:
    hub = Hub(settings, graph_spec=spec)
    hub.graph.invoke(graph_input, {"configurable": {"thread_id": thread}})
    return hub


def _values(hub: Hub, thread: str) -> dict:
    return hub.graph.get_state({"configurable": {"thread_id": thread}}).values


async def test_console_continues_a_breakpoint_with_a_state_update(settings):
    hub = _hub(settings, "tests.graphs.patterns:breakpoint_before", {"input": "raw"}, "cbp-1")
    try:
        app = HitlApp(hub.settings, "admin", hub=hub)
        async with app.run_test(size=(140, 40)) as pilot:
            table = app.query_one(InboxTable)
            await wait_until(pilot, lambda: table.row_count == 1, what="breakpoint ticket")
            table.focus()
            await pilot.press("enter")
            editor = app.query_one(AnswerEditor)
            await wait_until(pilot, lambda: app.focused is editor, what="editor focus")
            assert editor.text == "{}"
            editor.text = '{"input": "from the console"}'
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDecision), what="ask")
            await pilot.press("y")  # continuing lets the graph act: confirmed first
            await wait_until(pilot, lambda: table.row_count == 0, what="ticket to leave")
        values = _values(hub, "cbp-1")
        assert values["trail"] == ["step_1", "step_2", "step_3"]
        assert values["input"] == "from the console"
    finally:
        hub.close()


async def test_console_offers_only_the_decisions_the_response_schema_allows(settings):
    spec = "tests.graphs.middleware:per_call"
    hub = _hub(settings, spec, {"messages": [("user", "go")]}, "cpc-1")
    try:
        app = HitlApp(hub.settings, "admin", hub=hub)
        async with app.run_test(size=(140, 40)) as pilot:
            table = app.query_one(InboxTable)
            pane = app.query_one(OperatorPane)
            await wait_until(pilot, lambda: table.row_count == 2, what="two per-call tickets")
            keys = list(table.items)
            wipe_row = next(
                row for row, key in enumerate(keys) if table.items[key].value["name"] == "wipe_disk"
            )
            table.focus()
            table.move_cursor(row=wipe_row)
            await pilot.press("enter")
            await wait_until(
                pilot,
                lambda: pane.ticket is not None and pane.ticket.key == keys[wipe_row],
                what="wipe opened",
            )
            box = app.query_one(AnswerBox)
            assert box.check_action("decide", ("approve",))
            assert box.check_action("decide", ("reject",))
            assert not box.check_action("decide", ("edit",))  # the schema allows no edit
            await pilot.press("ctrl+e")
            assert box.mode != "edit"
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: table.row_count == 1, what="wipe answered")
        messages = _values(hub, "cpc-1")["messages"]
        results = {m.tool_call_id: m.content for m in messages if isinstance(m, ToolMessage)}
        assert "call_refund" not in results  # the refund still waits for its own decision
        assert "User rejected" in results.get("call_wipe", "User rejected")
        [item] = [
            p for p in hub.graph.get_state({"configurable": {"thread_id": "cpc-1"}}).interrupts
        ]
        assert item.value["name"] == "refund_order"
    finally:
        hub.close()


async def test_console_answers_a_bare_prompt_with_the_plain_string(settings):
    hub = _hub(settings, "tests.graphs.patterns:wait_for_input", {}, "cpr-1")
    try:
        app = HitlApp(hub.settings, "admin", hub=hub)
        async with app.run_test(size=(140, 40)) as pilot:
            table = app.query_one(InboxTable)
            await wait_until(pilot, lambda: table.row_count == 1, what="prompt ticket")
            table.focus()
            await pilot.press("enter")
            editor = app.query_one(AnswerEditor)
            await wait_until(pilot, lambda: app.focused is editor, what="editor focus")
            for char in "ok":
                await pilot.press(char)
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: table.row_count == 0, what="ticket to leave")
        assert _values(hub, "cpr-1")["feedback"] == "ok"
    finally:
        hub.close()
