"""What every ticket in an inbox carries besides its payload: where it waits, who holds it,
its deadline and its age. Decoded tickets and listed ones (hitl.listing) are both rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(kw_only=True)
class TicketRow:
    thread_id: str
    interrupt_id: str
    kind: str
    created_at: datetime
    checkpoint_id: str
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    claim_state: str | None = None
    due_at: datetime | None = None  # set by hitl.sla.stamp where HITL_SLA gives a deadline
    interrupted_attempt: dict | None = None

    def age_seconds(self, now: datetime | None = None) -> float:
        return max(0.0, ((now or datetime.now(UTC)) - self.created_at).total_seconds())
