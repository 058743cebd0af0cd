"""End to end in a real terminal (tmux): a hostile ticket can neither retitle the window
nor fill the clipboard, and shows up as visible text."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid

from hitl_tui.runtime import Hub
from tests.test_hostile_surfaces import plant, raw_leaks

TITLE_AND_CLIPBOARD = "\x1b]2;pwned\x07\x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;pwned\x1b\\\u202e"


def _tmux(socket: str, *args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, *args], capture_output=True, text=True, timeout=10
    ).stdout


def _wait_for(socket: str, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux(socket, "capture-pane", "-p", "-t", "e2e")
        if text in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared on screen:\n{screen}")


def test_hostile_ticket_cannot_touch_the_terminal(settings, cli_env, tmp_path):
    assert shutil.which("tmux"), "tmux is needed for this test (apt-get install tmux)"
    socket = f"i10-e2e-{uuid.uuid4().hex[:8]}"
    config = tmp_path / "tmux.conf"
    config.write_text("set -g set-clipboard on\nset -g allow-rename on\n")
    # COLUMNS/LINES (set by test runners) would override the 160x45 pane.
    env = {k: v for k, v in cli_env.items() if k not in ("COLUMNS", "LINES")}
    env.update(HITL_OPERATOR="olivia", TERM="xterm-256color")
    command = " ".join(
        [f"{k}='{v}'" for k, v in env.items() if k.isidentifier() and "'" not in v]
        + [sys.executable, "-m", "hitl_tui", "admin", "--graph", "tests.graphs_hostile:hostile"]
    )
    hub = Hub(settings, graph_spec="tests.graphs_hostile:hostile")
    try:
        subprocess.run(
            [
                "tmux",
                "-L",
                socket,
                "-f",
                str(config),
                "new-session",
                "-d",
                "-s",
                "e2e",
                "-x",
                "160",
                "-y",
                "45",
                f"env -i {command}",
            ],
            check=True,
            timeout=10,
        )
        title_before = _tmux(socket, "display", "-p", "-t", "e2e", "#{pane_title}")
        _wait_for(socket, "pending")
        plant(hub, f"t-{uuid.uuid4().hex[:6]}{TITLE_AND_CLIPBOARD}", TITLE_AND_CLIPBOARD)
        screen = _wait_for(socket, "New ticket")
        assert "\\x1b]52;c;" in screen and "\\u202e" in screen  # shown, not obeyed
        _tmux(socket, "send-keys", "-t", "e2e", "Enter")  # open it: detail and JSON views
        _wait_for(socket, "Interrupt payload")
        title = _tmux(socket, "display", "-p", "-t", "e2e", "#{pane_title}")
        assert "pwned" not in title and title == title_before
        assert _tmux(socket, "list-buffers") == ""  # nothing reached the clipboard
        history = _tmux(socket, "capture-pane", "-p", "-S", "-", "-t", "e2e")
        assert not raw_leaks(history)  # no bidi or zero-width character sits in a cell
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=10)
        hub.connection.client.drop_database(settings.db_name)
        hub.close()


def test_quitting_the_console_gives_back_its_claim(settings, cli_env, hub):
    """A real console process holds a claim; ctrl+q ends it promptly and the claim is free."""
    from hitl_tui.hitl import claims
    from hitl_tui.hitl.conversation import ask
    from hitl_tui.hitl.inbox import Inbox

    assert shutil.which("tmux"), "tmux is needed for this test (apt-get install tmux)"
    asked = ask(hub, "How do I configure SSL certificates for nginx?")
    [item] = Inbox(hub.store).refresh()
    socket = f"quit-e2e-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in cli_env.items() if k not in ("COLUMNS", "LINES")}
    env.update(HITL_OPERATOR="olivia", TERM="xterm-256color")
    command = " ".join(
        [f"{k}='{v}'" for k, v in env.items() if k.isidentifier() and "'" not in v]
        + [sys.executable, "-m", "hitl_tui", "admin", ";", "echo", "console-ended"]
    )
    try:
        subprocess.run(
            ["tmux", "-L", socket, "new-session", "-d", "-s", "e2e", "-x", "120", "-y", "34",
             f"env -i {command}; sleep 30"],
            check=True,
            timeout=10,
        )
        _wait_for(socket, "1 pending")
        _tmux(socket, "send-keys", "-t", "e2e", "Enter")
        _wait_for(socket, "claimed by you")
        held = claims.claim_of(hub.store, asked.thread_id, item.interrupt_id)
        assert held is not None and held["operator"] == "olivia"
        _tmux(socket, "send-keys", "-t", "e2e", "C-q")
        _wait_for(socket, "console-ended", timeout=15)
        assert claims.claim_of(hub.store, asked.thread_id, item.interrupt_id) is None
        [after] = Inbox(hub.store).refresh()
        assert after.claimed_by is None
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=10)
