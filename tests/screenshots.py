"""Regenerate screenshots/ from the real app: `make screenshots`.

Runs the console against a private embedded server with fixed thread ids and times, saves
SVG screenshots and PNG copies rendered by `rsvg-convert` with the font the SVGs name
(Fira Code; `apt-get install librsvg2-bin fonts-firacode`). Before converting, every text
run keeps its spaces (`xml:space="preserve"`): without it the converter drops the spaces a
run starts with and words merge ("connecteddb"). The run fails if the font is missing or
a run could still lose its spaces.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hitl_tui.console.app import HitlApp
from hitl_tui.console.chat_pane import ChatPane
from hitl_tui.console.confirm import ConfirmDecision
from hitl_tui.console.decided import DecidedScreen
from hitl_tui.console.help_screen import HelpScreen
from hitl_tui.console.inbox_table import InboxTable
from hitl_tui.console.status_bar import StatusBar
from hitl_tui.db.embedded import EmbeddedServer
from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.kinds import EDIT, RESPOND, Decision
from hitl_tui.hitl.resume import resume
from hitl_tui.runtime import Hub
from hitl_tui.settings import Settings
from tests.console_helpers import visible_text, wait_until
from tests.frozen import FROZEN_URI, freeze_thread_times, frozen_clock

OUT = Path(__file__).resolve().parent.parent / "screenshots"
WIDE = (150, 42)
SMALL = (80, 24)
FONT = "Fira Code"


def _steady(app: HitlApp) -> None:
    app.query_one(StatusBar).database = f"embedded {FROZEN_URI}"
    for indicator in app.query("LoadingIndicator"):
        indicator.display = False
    for editor in app.query("TextArea, Input"):
        editor.cursor_blink = False  # a blinking cursor would make the picture flicker


async def _shoot(app: HitlApp, name: str, prepare, size=WIDE) -> Path:
    async with app.run_test(size=size) as pilot:
        await prepare(pilot)
        await app.workers.wait_for_complete()
        _steady(app)
        await pilot.pause(0.2)
        path = OUT / f"{name}.svg"
        path.write_text(app.export_screenshot(), encoding="utf-8")
    return path


async def _open(app: HitlApp, pilot, row: int) -> None:
    table = app.query_one(InboxTable)
    await wait_until(pilot, lambda: table.row_count >= row + 1)
    table.focus()
    for _ in range(row):
        await pilot.press("j")
    await pilot.press("enter")
    await wait_until(pilot, lambda: "claimed by you" in visible_text(app.query_one("#detail-head")))
    await wait_until(pilot, lambda: "Interrupt payload" in visible_text(app.query_one("#detail")))


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="hitl-shots-"))
    server = EmbeddedServer(workdir)
    try:
        uri = server.ensure_running()
        settings = Settings(
            _env_file=None,
            mongodb_uri=uri,
            db_name="screenshots",
            operator="alice",
            bell=False,
            poll_seconds=0.3,
        )
        hub = Hub(settings)
        ssl = ask(hub, "How do I configure SSL certificates for nginx?", "t-ssl-0001").thread_id
        refund = ask(hub, "Please refund order 1234, $40, it arrived broken", "t-refund-77")
        plan = ask(hub, "Please migrate my account to the EU region", "t-migrate-eu")
        for thread in (ssl, refund.thread_id, plan.thread_id):
            freeze_thread_times(hub.store, thread)
        shots = []

        app = HitlApp(settings, "both", thread_id=ssl, hub=hub, clock=frozen_clock)

        async def waiting(pilot) -> None:
            await wait_until(pilot, lambda: app.query_one(InboxTable).row_count == 3)
            await wait_until(pilot, lambda: app.query_one(ChatPane).waiting_since is not None)

        shots.append(await _shoot(app, "both-panes-waiting", waiting))

        app = HitlApp(settings, "admin", hub=hub, clock=frozen_clock)
        shots.append(
            await _shoot(app, "operator-approval-open", lambda pilot: _open(app, pilot, 1))
        )
        app = HitlApp(settings, "admin", hub=hub, clock=frozen_clock)
        shots.append(
            await _shoot(
                app, "operator-approval-80x24", lambda pilot: _open(app, pilot, 1), SMALL
            )
        )

        app = HitlApp(settings, "admin", hub=hub, clock=frozen_clock)

        async def confirm_edit(pilot) -> None:
            await _open(app, pilot, 1)
            await pilot.press("ctrl+e")
            editor = app.query_one("#answer")
            editor.text = editor.text.replace('"amount": 40.0', '"amount": 35.0')
            await pilot.press("ctrl+o")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDecision))

        shots.append(await _shoot(app, "confirm-edited-refund", confirm_edit))

        resume(
            hub,
            ssl,
            Decision(
                RESPOND,
                text="Run `sudo certbot --nginx -d example.com`, "
                "then `sudo nginx -t && sudo systemctl reload nginx`.",
            ),
            "alice",
        )
        args = dict(refund.pending[0].value["args"], amount=35.0)
        resume(hub, refund.thread_id, Decision(EDIT, args=args), "alice")
        for thread in (ssl, refund.thread_id):
            freeze_thread_times(hub.store, thread)
        app = HitlApp(settings, "user", thread_id=ssl, hub=hub, clock=frozen_clock)

        async def answered(pilot) -> None:
            chat = app.query_one(ChatPane)
            await wait_until(pilot, lambda: chat.waiting_since is None and chat._checkpoint)

        shots.append(await _shoot(app, "chat-after-answer", answered))
        app = HitlApp(settings, "user", thread_id=refund.thread_id, hub=hub, clock=frozen_clock)

        async def told(pilot) -> None:
            chat = app.query_one(ChatPane)
            await wait_until(pilot, lambda: "changed amount" in visible_text(chat))

        shots.append(await _shoot(app, "chat-told-the-edit", told))

        app = HitlApp(settings, "admin", hub=hub, clock=frozen_clock)

        async def decided(pilot) -> None:
            table = app.query_one(InboxTable)
            await wait_until(pilot, lambda: table.row_count == 1)
            table.focus()
            await pilot.press("d")
            await wait_until(pilot, lambda: isinstance(app.screen, DecidedScreen))
            await wait_until(pilot, lambda: app.screen.query_one("#decided-table").row_count == 2)
            for entry in app.screen.entries:  # fixed times for a stable picture
                entry["started_at"] = "2026-11-24T09:03:00"
            app.screen._show()

        shots.append(await _shoot(app, "decided-view", decided))

        app = HitlApp(settings, "admin", hub=hub, clock=frozen_clock)

        async def help_screen(pilot) -> None:
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))

        shots.append(await _shoot(app, "help-keys", help_screen, (100, 45)))
        hub.close()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    for svg in shots:
        preserve_spaces(svg)
    converter = shutil.which("rsvg-convert")
    if not converter:
        print("rsvg-convert not found: SVG only (apt-get install librsvg2-bin for PNGs)")
        return
    problems = font_problems()
    for svg in shots:
        problems += merge_problems(svg.read_text(encoding="utf-8"), svg.name)
    if problems:
        sys.exit("screenshots: " + "; ".join(problems))
    for svg in shots:
        subprocess.run(
            [converter, "-w", "1500", str(svg), "-o", str(svg.with_suffix(".png"))], check=True
        )
        print(f"wrote {svg.relative_to(OUT.parent)} (+ .png)")


def preserve_spaces(svg: Path) -> None:
    """Make every text run keep its leading and trailing spaces when rendered."""
    text = svg.read_text(encoding="utf-8")
    text = re.sub(r"<text (?!xml:space)", '<text xml:space="preserve" ', text)
    svg.write_text(text, encoding="utf-8")


def merge_problems(svg_text: str, name: str) -> list[str]:
    """Runs whose spaces a converter may drop: each would merge two words in the PNG."""
    bad = [
        body
        for attrs, body in re.findall(r"<text([^>]*)>(.*?)</text>", svg_text)
        if 'xml:space="preserve"' not in attrs
        and re.match(r"^(\s|&#160;)|(\s|&#160;)$", body)
    ]
    return [f"{name}: {len(bad)} text runs would lose their spaces"] if bad else []


def font_problems() -> list[str]:
    """The SVGs name Fira Code; rendered with a fallback font the columns drift."""
    matched = subprocess.run(
        ["fc-match", "-f", "%{family}", FONT], capture_output=True, text=True, check=False
    ).stdout
    if FONT not in matched:
        return [f"font {FONT!r} is not installed (apt-get install fonts-firacode)"]
    return []


if __name__ == "__main__":
    asyncio.run(main())
