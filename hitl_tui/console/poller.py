"""One poller for every pane: look at the database now and again, never twice at once.

A pane says what one look is (`plan`, on the UI thread, returns the job to run in a thread,
or None when there is nothing to look at) and the poller runs it: again after `interval`
seconds, at once when poked (a change stream saw a write) or when the job asks for more,
but only once the look in flight has ended. `stop` (on unmount) ends the cycle.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.timer import Timer
from textual.widget import Widget

Job = Callable[[], bool]  # runs in a worker thread; True asks for another look at once


class Poller:
    def __init__(
        self,
        owner: Widget,
        plan: Callable[[], Job | None],
        interval: Callable[[], float],
        name: str,
    ) -> None:
        self._owner = owner
        self._plan = plan
        self._interval = interval
        self._name = name
        self._timer: Timer | None = None
        self._running = False
        self._due = False
        self._stopped = False

    @property
    def running(self) -> bool:
        return self._running

    def poke(self) -> None:
        """Look now, or right after the look in flight."""
        if self._stopped:
            return
        if self._running:
            self._due = True
            return
        job = self._plan()
        if job is None:
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._running = True
        self._owner.run_worker(
            lambda: self._run(job), thread=True, group=self._name, exit_on_error=False
        )

    def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.stop()

    def _run(self, job: Job) -> None:
        again = False
        try:
            again = job()
        finally:  # a job that raised reaches the app's worker-error handler; polling goes on
            self._owner.call_later(self._finished, again)

    def _finished(self, again: bool) -> None:
        self._running = False
        if self._stopped:
            return
        if self._due or again:
            self._due = False
            self.poke()
        else:
            self._timer = self._owner.set_timer(self._interval(), self.poke, name=self._name)
