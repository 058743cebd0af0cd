"""Textual tells only the widget that ran a worker that it failed (`Worker.StateChanged`
does not bubble). Widgets that run workers mix this in, so an unexpected error travels up
as `WorkerFailed` to the app's one error line, instead of vanishing; a poller that fails
the same way every second has it said once in a while, not every time."""

from __future__ import annotations

from textual.worker import Worker, WorkerState

from hitl_tui.console.messages import WorkerFailed

REPEAT_SILENCE_SECONDS = 30.0  # the same background failure is shown once per this long


class RepeatSilencer:
    """Says whether an error line is to be shown: not when the same line was shown less
    than `silence` seconds ago."""

    def __init__(self, silence: float = REPEAT_SILENCE_SECONDS) -> None:
        self.silence = silence
        self._last: tuple[str, float] | None = None

    def should_say(self, line: str, now: float) -> bool:
        if self._last is not None:
            last_line, said_at = self._last
            if line == last_line and now - said_at < self.silence:
                return False
        self._last = (line, now)
        return True


class PassesWorkerErrorsUp:
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.post_message(WorkerFailed(event.worker.error))
