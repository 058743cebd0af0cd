"""Textual tells only the widget that ran a worker that it failed (`Worker.StateChanged`
does not bubble). Widgets that run workers mix this in, so an unexpected error travels up
as `WorkerFailed` to the app's one error line, instead of vanishing."""

from __future__ import annotations

from textual.worker import Worker, WorkerState

from hitl_tui.console.messages import WorkerFailed


class PassesWorkerErrorsUp:
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.post_message(WorkerFailed(event.worker.error))
