"""The garbage collector around the console's start-up.

Start-up builds what lives as long as the app: the modules, the compiled graph, and with a
big inbox thousands of decoded tickets and table rows. Each full collection while they pile
up rescans all of them (with 3,000 tickets, pauses of 100-300 ms, felt as a frozen screen);
each one after start-up would rescan them for nothing. So collection waits while start-up
runs, and when it is over everything alive is frozen, once, out of the collector's sight
(`gc.freeze`), and collection resumes for what comes after. The cyclic garbage start-up
left (a little, once) is kept; freezing again later would keep every later cycle too.
"""

from __future__ import annotations

import gc

START_UP_LIMIT_SECONDS = 60.0  # a start-up that never settles (no database) stops waiting


class StartUpCollector:
    def __init__(self) -> None:
        self._waiting = False
        self._done = False

    def start(self) -> None:
        if not self._done and not self._waiting:
            self._waiting = True
            gc.disable()

    def settled(self) -> None:
        """Start-up is over: freeze what it built, and collect as usual from now on."""
        if self._waiting:
            gc.freeze()
            self._resume()

    def abandon(self) -> None:
        """The app closes (or gave up waiting) before start-up settled: collect again."""
        if self._waiting:
            self._resume()

    def _resume(self) -> None:
        self._waiting, self._done = False, True
        gc.enable()
