"""What the stores hold right now: outbox rows due, queue depths, open alert episodes (for /metrics)."""

from dataclasses import dataclass

from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import func, select

from portal.extensions import db, redis_connection
from portal.models import AlertEpisode, OutboxRow, utcnow

QUEUE_NAMES = ("high", "default", "low")


@dataclass(frozen=True)
class Readings:
    due_rows: int
    oldest_due_seconds: float
    queue_depths: dict
    open_episodes: dict


def outbox_due(now=None):
    """(how many rows are due and not yet run, the oldest one's due time or None)."""
    now = now or utcnow()
    count, oldest = db.session.execute(
        select(func.count(OutboxRow.id), func.min(OutboxRow.not_before))
        .where(OutboxRow.status.in_(("pending", "enqueued")), OutboxRow.not_before <= now)
    ).one()
    return count, oldest


def queue_depths():
    try:
        connection = redis_connection()
        return {name: Queue(name, connection=connection).count for name in QUEUE_NAMES}
    except (RedisError, OSError):
        return dict.fromkeys(QUEUE_NAMES, -1)


def read(now=None):
    now = now or utcnow()
    count, oldest = outbox_due(now)
    open_episodes = dict(db.session.execute(
        select(AlertEpisode.kind, func.count(AlertEpisode.id)).where(AlertEpisode.closed_at.is_(None))
        .group_by(AlertEpisode.kind)
    ).all())
    db.session.rollback()
    return Readings(due_rows=count, oldest_due_seconds=(now - oldest).total_seconds() if oldest else 0.0,
                    queue_depths=queue_depths(), open_episodes=open_episodes)
