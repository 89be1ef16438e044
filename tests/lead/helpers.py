"""The hand-computed world of the dashboard tests: its dates, and building its days' roll-ups."""

from datetime import UTC, date, datetime, timedelta

from portal.extensions import db
from portal.lead import metrics, rollups

NOW = datetime(2026, 1, 31, tzinfo=UTC)
PERIOD = metrics.Period(date(2026, 1, 1), date(2026, 1, 30))
# The period and the one before it, which the change in top categories reads.
FIRST_DAY, LAST_DAY = PERIOD.previous().first, PERIOD.last


def at(day, hour=9):
    return datetime(2026, 1, day, hour, tzinfo=UTC)


def build_rollups(first=FIRST_DAY, last=LAST_DAY):
    for n in range((last - first).days + 1):
        rollups.build_day(first + timedelta(days=n))
    db.session.commit()
