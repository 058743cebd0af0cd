"""Messages workers post to widgets: workers never touch widgets themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message


@dataclass
class DeskReady(Message):
    """The database answered; `desk` is ready for the panes."""

    desk: Any


@dataclass
class InboxListed(Message):
    """The listed tickets, read before the desk exists: shown until the first read."""

    items: list


@dataclass
class GraphReady(Message):
    """The warm-up compiled the graph (or failed to, which the worker-error line says)."""


@dataclass
class DeskFailed(Message):
    """Connecting failed; the app retries after `retry_in` seconds."""

    error: str
    retry_in: float


@dataclass
class ConnectionLost(Message):
    """A database call failed mid-session; the panes keep retrying."""

    error: str


@dataclass
class ConnectionBack(Message):
    """A database call succeeded again after a failure."""


@dataclass
class ThreadLoaded(Message):
    """The chat pane's thread as stored: messages, pending interrupts, checkpoint id."""

    thread_id: str
    snapshot: Any
    notes: list = field(default_factory=list)  # operator decisions: (position, sentence)


@dataclass
class AskFinished(Message):
    """The agent finished the turn (answered, or the ticket waits): reload the thread."""

    thread_id: str


@dataclass
class AskFailed(Message):
    """Sending failed: the text goes back into the input so nothing typed is lost."""

    thread_id: str
    text: str
    error: str


@dataclass
class InboxRefreshed(Message):
    """`items` is None when the refresh failed; `complete` False when more are coming;
    `progress` how far the first look at an unseen history is, while there is one; `read`
    the session's number for this read of the inbox."""

    items: list | None
    complete: bool = True
    progress: Any = None
    read: int = 0


@dataclass
class DetailLoaded(Message):
    key: str
    snapshot: Any
    history: list


@dataclass
class ClaimResult(Message):
    """The claim on an opened ticket was taken, or someone else holds it (`Claimed`)."""

    outcome: Any


@dataclass
class ResumeFinished(Message):
    """`action` is the decision sent, so the operator is told what was done."""

    key: str
    result: Any
    action: str


@dataclass
class DecisionFailed(Message):
    """A decision was not sent or the graph failed; the ticket stays pending. `takeover` is
    set when an interrupted attempt blocked the answer: the decision that a forced takeover
    would send."""

    key: str
    error: str
    takeover: Any = None


@dataclass
class Maximized(Message):
    """The operator pane took the whole screen (`on`), or gave it back."""

    on: bool


@dataclass
class WorkerFailed(Message):
    """A worker met an error that is not the database's: a bug, shown once by the app."""

    error: BaseException


@dataclass
class ChangesSeen(Message):
    """The change stream saw a write: look now instead of at the next poll."""


@dataclass
class ShowDecided(Message):
    """Open the Decided view, filtered to `thread_id` when given."""

    thread_id: str | None = None


@dataclass
class DecidedLoaded(Message):
    """Audited decisions, newest first, for the Decided view, and what `audit --verify`
    would say is wrong with the chain, if anything."""

    entries: list
    chain_problem: str | None = None
