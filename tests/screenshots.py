"""Regenerate screenshots/ from the real app: `make screenshots`.

Runs the console against a private embedded server with fixed thread ids and times, saves
SVG screenshots and, where `rsvg-convert` is installed, PNG copies of them.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from pathlib import Path

from hitl_tui.console.app import HitlApp
from hitl_tui.console.chat_pane import ChatPane
from hitl_tui.console.inbox_table import InboxTable
from hitl_tui.console.status_bar import StatusBar
from hitl_tui.db.embedded import EmbeddedServer
from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.kinds import RESPOND, Decision
from hitl_tui.hitl.resume import resume
from hitl_tui.hitl.runtime import Hub
from hitl_tui.settings import Settings
from tests.console_helpers import wait_until
from tests.frozen import FROZEN_URI, freeze_thread_times, frozen_clock

OUT = Path(__file__).resolve().parent.parent / "screenshots"
SIZE = (150, 42)


def _steady(app: HitlApp) -> None:
    app.query_one(StatusBar).database = f"embedded {FROZEN_URI}"
    for indicator in app.query("LoadingIndicator"):
        indicator.display = False


async def _shoot(app: HitlApp, name: str, prepare) -> Path:
    async with app.run_test(size=SIZE) as pilot:
        await prepare(pilot)
        await app.workers.wait_for_complete()
        _steady(app)
        await pilot.pause(0.2)
        path = OUT / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(OUT))
    return path


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
        refund = ask(hub, "Please refund order 1234, $49, it arrived broken", "t-refund-77")
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

        async def open_refund(pilot) -> None:
            table = app.query_one(InboxTable)
            await wait_until(pilot, lambda: table.row_count == 3)
            table.focus()
            await pilot.press("j")
            await pilot.press("enter")
            await wait_until(
                pilot, lambda: "claimed by you" in str(app.query_one("#answer-status").content)
            )

        shots.append(await _shoot(app, "operator-approval-open", open_refund))

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
        app = HitlApp(settings, "user", thread_id=ssl, hub=hub, clock=frozen_clock)

        async def answered(pilot) -> None:
            chat = app.query_one(ChatPane)
            await wait_until(pilot, lambda: chat.waiting_since is None and chat._checkpoint)

        shots.append(await _shoot(app, "chat-after-answer", answered))
        hub.close()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    converter = shutil.which("rsvg-convert")
    for svg in shots:
        if converter:
            subprocess.run(
                [converter, "-w", "1500", str(svg), "-o", str(svg.with_suffix(".png"))], check=True
            )
        print(f"wrote {svg.relative_to(OUT.parent)}" + (" (+ .png)" if converter else ""))
    if not converter:
        print("rsvg-convert not found: SVG only (apt-get install librsvg2-bin for PNGs)")


if __name__ == "__main__":
    asyncio.run(main())
