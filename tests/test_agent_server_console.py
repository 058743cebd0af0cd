"""Both panes against a real `langgraph dev` Agent Server, driven with Pilot.

The server is shared by the test session and lists every test's threads, so each test
finds its own rows by thread id. What was answered is checked in the server's own thread
state afterwards, through the SDK.
"""

from __future__ import annotations

from hitl_tui.console.answer_box import AnswerEditor
from hitl_tui.console.app import HitlApp
from hitl_tui.console.chat_pane import ChatPane
from hitl_tui.console.inbox_table import InboxTable
from hitl_tui.console.operator_pane import OperatorPane
from hitl_tui.console.session import SEPARATOR
from hitl_tui.console.status_bar import StatusBar
from hitl_tui.hitl.kinds import RESPOND, Decision
from tests.agent_server_fixtures import server_desk, started
from tests.console_helpers import visible_text, wait_until


def _rows(table: InboxTable, thread_id: str) -> list[str]:
    return [str(key.value) for key in table.rows if str(key.value).startswith(thread_id)]


async def _answer(app: HitlApp, pilot, key: str, text: str) -> None:
    """Open the row `key` as an operator would (cursor, Enter) and send `text`."""
    table, pane = app.query_one(InboxTable), app.query_one(OperatorPane)
    table.focus()
    table.move_cursor(row=table.get_row_index(key))
    await pilot.press("enter")
    await wait_until(
        pilot,
        lambda: pane.ticket is not None and pane.ticket.key == key and pane.ticket.claim,
        what="the ticket opened and claimed",
    )
    app.query_one(AnswerEditor).text = text
    await pilot.press("ctrl+s")  # an answer to a question is not destructive: no confirm
    await wait_until(pilot, lambda: pane.ticket is None, what="the ticket answered")


async def test_a_server_ticket_appears_and_is_answered_from_the_operator_pane(
    settings, sdk, agent_server
):
    question = {"messages": [{"role": "user", "content": "How do I configure SSL for nginx?"}]}
    thread = started(sdk, "seed", question)
    with_server = settings.model_copy(
        update={"langgraph_server_url": agent_server.url, "langgraph_api_key": agent_server.key}
    )
    app = HitlApp(with_server, "admin")  # the console builds its own desk, as `hitl-tui admin`
    async with app.run_test(size=(140, 40)) as pilot:
        table = app.query_one(InboxTable)
        await wait_until(pilot, lambda: _rows(table, thread), what="the server's ticket")
        assert app.query_one(StatusBar).database == f"Agent Server {agent_server.url}"
        [key] = _rows(table, thread)
        await _answer(app, pilot, key, "Run certbot --nginx")
        await wait_until(pilot, lambda: not _rows(table, thread), what="the row to go")
    state = sdk.threads.get_state(thread)
    assert state["next"] == [] and state["tasks"] == []
    assert state["values"]["messages"][2]["content"] == "Run certbot --nginx"
    assert [m["type"] for m in state["values"]["messages"]] == ["human", "ai", "tool", "ai"]


async def test_two_parallel_interrupts_are_answered_one_by_one_by_id(settings, sdk, agent_server):
    thread = started(sdk, "parallel", {"log": []})
    by_node = {
        task["name"]: task["interrupts"][0]["id"] for task in sdk.threads.get_state(thread)["tasks"]
    }
    desk = server_desk(settings, agent_server)
    app = HitlApp(settings, "admin", desk=desk)
    async with app.run_test(size=(140, 40)) as pilot:
        table = app.query_one(InboxTable)
        await wait_until(pilot, lambda: len(_rows(table, thread)) == 2, what="both tickets")
        first = f"{thread}{SEPARATOR}{by_node['branch_b']}"
        await _answer(app, pilot, first, "yes b")
        await wait_until(pilot, lambda: first not in _rows(table, thread), what="b to go")
        tasks = sdk.threads.get_state(thread)["tasks"]
        assert [t["name"] for t in tasks if t["interrupts"]] == ["branch_a"]

        # While the server runs b's answer the thread is busy, not interrupted, and the
        # server lists it under neither: a is listed again once that run has ended.
        await wait_until(pilot, lambda: len(_rows(table, thread)) == 1, what="a listed again")
        [second] = _rows(table, thread)
        await _answer(app, pilot, second, "yes a")
        await wait_until(pilot, lambda: not _rows(table, thread), what="a to go")
    desk.close()
    state = sdk.threads.get_state(thread)
    assert state["next"] == [] and sorted(state["values"]["log"]) == ["a: yes a", "b: yes b"]


async def test_an_open_ticket_answered_elsewhere_closes_through_its_thread_stream(
    settings, sdk, agent_server
):
    """The inbox polls only every 30 s here: the thread's stream is what closes it."""
    thread = started(sdk, "seed", {"messages": [{"role": "user", "content": "Printer on fire"}]})
    slow = settings.model_copy(update={"poll_seconds": 30.0})
    desk = server_desk(slow, agent_server)
    app = HitlApp(slow, "admin", desk=desk)
    async with app.run_test(size=(140, 40)) as pilot:
        table, pane = app.query_one(InboxTable), app.query_one(OperatorPane)
        await wait_until(pilot, lambda: _rows(table, thread), what="the ticket")
        [key] = _rows(table, thread)
        table.focus()
        table.move_cursor(row=table.get_row_index(key))
        await pilot.press("enter")
        await wait_until(pilot, lambda: pane.ticket and pane.ticket.claim, what="claimed")
        # Another program answers on the server, past hitl-tui's claims.
        [task] = sdk.threads.get_state(thread)["tasks"]
        resume = {task["interrupts"][0]["id"]: {"data": "Call the fire brigade"}}
        sdk.runs.wait(thread, "seed", command={"resume": resume})
        await wait_until(pilot, lambda: pane.ticket is None, timeout=10, what="the close")
        assert "no longer pending" in visible_text(pane)
    desk.close()
    assert sdk.threads.get_state(thread)["next"] == []


async def test_the_chat_pane_asks_the_assistant_and_shows_the_operators_answer(
    settings, sdk, agent_server
):
    on_seed = settings.model_copy(update={"langgraph_assistant": "seed"})
    desk = server_desk(on_seed, agent_server, assistant="seed")
    app = HitlApp(on_seed, "user", desk=desk)
    async with app.run_test(size=(120, 34)) as pilot:
        chat = app.query_one(ChatPane)
        chat.query_one("#chat-input").text = "How do I rotate my TLS keys?"
        await pilot.press("enter")
        await wait_until(pilot, lambda: chat.waiting_since is not None, what="the escalation")
        thread = chat.thread_id
        [task] = sdk.threads.get_state(thread)["tasks"]
        assert task["interrupts"][0]["value"] == {"query": "How do I rotate my TLS keys?"}
        with server_desk(settings, agent_server) as bob:
            bob.decide(thread, Decision(RESPOND, text="Use certbot renew"), "bob")
        await wait_until(
            pilot, lambda: "Use certbot renew" in visible_text(chat), what="the answer shown"
        )
        await wait_until(
            pilot, lambda: "operator answered" in visible_text(chat), what="the decision note"
        )
        shown = visible_text(chat.query_one("#transcript"))  # where the decision was taken
        assert shown.index("How do I rotate") < shown.index("operator answered")
    desk.close()
