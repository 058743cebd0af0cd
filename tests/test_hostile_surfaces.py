"""Hostile text through every surface: nothing a stranger writes may act on the terminal.

Thread ids, questions, tool names and arguments, payload keys and operator names carry
markup, CSI, OSC 0/8/52, DCS, C1, BEL, bidi and zero-width characters. The console runs
with a driver that records every byte it would send to the terminal; the CLI's stdout and
stderr are read whole. Only the console's own cursor and colour sequences may remain.

An operator can no longer *choose* a name with hidden characters (it is refused, exit 2),
so such names reach the surfaces the way a stranger would put them there: written into
the claims and the audit directly.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import unicodedata
import uuid
from contextlib import redirect_stderr, redirect_stdout

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, HumanMessage
from textual.drivers.headless_driver import HeadlessDriver

from hitl_tui import cli
from hitl_tui.console.app import HitlApp
from hitl_tui.console.inbox_table import InboxTable
from hitl_tui.hitl import claims
from hitl_tui.hitl.inbox import Inbox
from hitl_tui.hitl.jsonsafe import dumps
from hitl_tui.hitl.kinds import JSON, Decision
from hitl_tui.hitl.resume import resume
from hitl_tui.hitl.safe_text import one_line, visible
from hitl_tui.runtime import Hub
from tests.console_helpers import visible_text, wait_until

ATTACKS = [
    "[bold red]markup[/]",
    "[link=https://evil.example]click[/link]",
    "[@click=app.quit]quit[/]",
    "\x1b[2J\x1b[3;1f",
    "\x1b[6n",
    "\x1b]0;pwned title\x07",
    "\x1b]2;pwned\x1b\\",
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "\x1b]52;c;cm0gLXJmIH4=\x07",
    "\x1bP1$qm\x1b\\",
    "\x9b2J",
    "\x9d0;c1 title\x9c",
    "\x90dcs\x9c",
    "\x07",
    "\x08\x08",
    "\r",
    "\u202eevil\u202c",
    "\u2066iso\u2069",
    "zero\u200bwidth\u200d",
    "\ufeff",
    "\U000e0041",
]
EVERY_ATTACK = "".join(ATTACKS)
hostile = st.lists(st.sampled_from(ATTACKS) | st.text(max_size=4), min_size=1, max_size=5).map(
    "".join
)

# What must never reach a terminal from data: C0 but newline/tab, DEL, C1, bidi, invisible.
RAW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"
    "\U000e0000-\U000e007f]"
)
# What the console itself writes: colours, cursor placement, modes, the pointer shape.
CONSOLE_OWN = re.compile(r"\x1b\[[0-9;]*[mH]|\x1b\[\?[0-9;]*[hl]|\x1b\]22;[a-z-]+\x07")


def raw_leaks(output: str) -> list[str]:
    return sorted({repr(c) for c in RAW.findall(CONSOLE_OWN.sub("", output))})


class RecordingDriver(HeadlessDriver):
    """The terminal as the app sees it: every byte written is kept."""

    written: list[str] = []

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        RecordingDriver.written.append(data)


def plant(hub: Hub, thread_id: str, attack: str) -> str:
    """A pending ticket whose every field another program filled with `attack`."""
    hub.graph.invoke(
        {
            "messages": [
                HumanMessage(attack),
                AIMessage(
                    attack,
                    tool_calls=[{"name": f"tool{attack}", "args": {attack: attack}, "id": "c1"}],
                ),
            ],
            "payload": {"query": attack, attack: [attack, {"nested": attack}]},
        },
        {"configurable": {"thread_id": thread_id}},
    )
    [item] = [i for i in Inbox(hub.store).refresh() if i.thread_id == thread_id]
    return item.interrupt_id


# Markup is a name an operator may choose; it must still be shown, never obeyed.
MARKUP_OPERATOR = "op[bold red]markup[/][@click=app.quit]quit[/]"


def refused_as_operator(name: str) -> bool:
    """Names with hidden characters or over 64 characters are refused by design."""
    hidden = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
    return len(name) > 64 or any(unicodedata.category(c) in hidden for c in name)


def forge_operator(hub: Hub, thread_id: str, name: str) -> None:
    """What someone with write access to the database could leave behind."""
    hub.store.claims.update_many({"thread_id": thread_id}, {"$set": {"operator": name}})
    hub.store.audit.update_many({"thread_id": thread_id}, {"$set": {"operator": name}})


@pytest.fixture
def hostile_hub(settings):
    hub = Hub(settings, graph_spec="tests.graphs_hostile:hostile")
    yield hub
    hub.connection.client.drop_database(settings.db_name)
    hub.close()


def test_sanitizer_shows_every_attack_as_text():
    shown = visible(EVERY_ATTACK)
    assert not RAW.search(shown)
    assert "\\x1b]52;c;" in shown and "\\u202e" in shown and "\\u200b" in shown
    assert "\\U000e0041" in shown and "\\x9b" in shown and "\\x07" in shown
    assert "[bold red]markup[/]" in shown  # markup stays literal text
    decoded = json.loads(dumps({EVERY_ATTACK: EVERY_ATTACK}))
    assert decoded == {EVERY_ATTACK: EVERY_ATTACK}  # JSON escapes keep the exact value
    assert "\\u202e" in dumps(EVERY_ATTACK) and not RAW.search(dumps(EVERY_ATTACK))
    assert "\n" not in one_line("a\nb\u2028c")


def _cli(args: list[str], env: dict[str, str], monkeypatch) -> tuple[int, str, str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(args)
    return code, out.getvalue(), err.getvalue()


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(attack=hostile)
@example(attack=EVERY_ATTACK)
@example(attack="\x1f")  # blank to str.strip, hidden in a name
@pytest.mark.timeout(360)  # a dozen CLI runs per example, on a loaded two-core machine
def test_cli_surfaces_print_no_raw_control(hostile_hub, monkeypatch, attack):
    plain_id, hostile_id = f"t-{uuid.uuid4().hex[:8]}", f"h-{uuid.uuid4().hex[:6]}{attack}"
    interrupt_id = plant(hostile_hub, hostile_id, attack)
    claims.acquire(hostile_hub.store, hostile_id, interrupt_id, MARKUP_OPERATOR, 60)
    other = plant(hostile_hub, plain_id, attack)
    resume(hostile_hub, plain_id, Decision(JSON, value=attack), MARKUP_OPERATOR, other)
    forge_operator(hostile_hub, hostile_id, f"op{attack}")
    forge_operator(hostile_hub, plain_id, f"op{attack}")
    plant(hostile_hub, plain_id, attack)  # pending again, with an answered history
    settings = hostile_hub.settings
    env = {
        "MONGODB_URI": settings.mongodb_uri,
        "HITL_DB_NAME": settings.db_name,
        "HITL_OPERATOR": MARKUP_OPERATOR,
    }
    graph = ["--graph", "tests.graphs_hostile:hostile"]
    for args in (
        ["pending"],
        ["show", plain_id],
        ["audit"],
        ["resume", plain_id, "--data", attack, "--operator", f"op{attack}"],
        ["resume", hostile_id, "--approve"],
        ["show", hostile_id],
    ):
        code, out, err = _cli([*args, *graph], env, monkeypatch)
        assert not raw_leaks(out + err), (args, raw_leaks(out + err))
        if args[0] == "resume" and args[1] == plain_id and refused_as_operator(f"op{attack}"):
            # An answer that is only blank characters (str.strip: also \x1c-\x1f) is refused first.
            refusal = "operator name" if attack.strip() else "--data is empty"
            assert code == 2 and refusal in err, (code, err)
    code, out, err = _cli(["pending", "--json"], env, monkeypatch)
    assert code == 0 and not raw_leaks(out + err)
    listed = {i["thread_id"]: i for i in json.loads(out)}
    assert listed[hostile_id]["value"] == {"query": attack, attack: [attack, {"nested": attack}]}
    assert listed[hostile_id]["tool_calls"][0]["args"] == {attack: attack}
    assert listed[hostile_id]["claimed_by"] == f"op{attack}"
    code, out, err = _cli(["show", plain_id, "--json"], env, monkeypatch)
    assert code == 0 and not raw_leaks(out + err)
    assert json.loads(out)["messages"][0]["content"] == attack


async def _console_bytes(hub: Hub, attack: str) -> str:
    first = f"t-{uuid.uuid4().hex[:6]}{attack}"
    interrupt_id = plant(hub, first, attack)
    claims.acquire(hub.store, first, interrupt_id, MARKUP_OPERATOR, 60)
    forge_operator(hub, first, f"op{attack}")
    RecordingDriver.written = []
    app = HitlApp(hub.settings, "both", "tests.graphs_hostile:hostile", first, hub=hub)
    app.driver_class = RecordingDriver
    async with app.run_test(headless=False, size=(160, 45), notifications=True) as pilot:
        table = app.query_one(InboxTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="the first ticket")
        await asyncio.to_thread(
            plant, hub, f"n-{uuid.uuid4().hex[:6]}{attack}", attack
        )  # arrives while watching
        await wait_until(
            pilot, lambda: "New ticket" in "".join(RecordingDriver.written), what="the toast"
        )
        table.focus()
        await pilot.press("enter")  # open it: detail, JSON views, conversation
        detail = app.query_one("#detail-body")
        await wait_until(
            pilot, lambda: "Interrupt payload" in visible_text(detail), what="the detail"
        )
        await pilot.pause(0.3)
    return "".join(RecordingDriver.written)


@settings(
    max_examples=3,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # each example runs the whole app: no shrinking
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(attack=hostile)
@example(attack=EVERY_ATTACK)
def test_console_writes_no_raw_control_to_the_terminal(settings, attack):
    fresh = {"operator": MARKUP_OPERATOR, "db_name": f"t_{uuid.uuid4().hex[:12]}"}
    hub = Hub(settings.model_copy(update=fresh), graph_spec="tests.graphs_hostile:hostile")
    try:
        written = asyncio.run(_console_bytes(hub, attack))
    finally:
        hub.connection.client.drop_database(fresh["db_name"])
        hub.close()
    assert "New ticket" in written and "Ticket" in written
    assert not raw_leaks(written), raw_leaks(written)
