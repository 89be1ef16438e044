"""A case's place in the agents' queue: one sortable integer, and the step a missed SLA moves it ahead."""

from datetime import UTC, datetime

URGENCY_RANK = {"high": 0, "medium": 1, "low": 2}
PRIORITY_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def priority(urgency, angry, created_at, vip=False):
    """The queue position as one sortable integer: lower is served first.

    Digits, most significant first: urgency rank (high 0, medium 1, low 2) and anger (angry 0, calm 1) as
    one digit, then the case's age as minutes since PRIORITY_EPOCH (older first), then the tier bit (VIP 0,
    others 1), which only separates cases equal in everything before it. Fits a 32-bit column until 2214.
    """
    group = URGENCY_RANK[urgency] * 2 + (0 if angry else 1)
    minutes = max(0, int((created_at - PRIORITY_EPOCH).total_seconds() // 60))
    return group * PRIORITY_GROUP_STEP + minutes * 2 + (0 if vip else 1)


# One step of the first digit: an urgency/anger group.
PRIORITY_GROUP_STEP = 2 * 10**8


def raised_priority(value):
    """A missed SLA moves a case one urgency/anger group ahead (a calm high case joins the angry ones)."""
    return value - PRIORITY_GROUP_STEP
