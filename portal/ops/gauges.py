"""What the stores hold right now: outbox rows due, queue depths, open alert episodes; and the text /metrics serves."""

from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError

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
    """(how many rows are due and not yet run, since when the longest-waiting one has waited, or None)."""
    now = now or utcnow()
    # A row written for a slot already past (the hour's clean-up, at a first start) waits from its writing.
    waiting_since = case((OutboxRow.created_at > OutboxRow.not_before, OutboxRow.created_at),
                         else_=OutboxRow.not_before)
    count, oldest = db.session.execute(
        select(func.count(OutboxRow.id), func.min(waiting_since))
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


class StoreCollector:
    """Gauges read at scrape time from the database and Redis: they describe the stores, not one process."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        readable = GaugeMetricFamily("portal_store_readings_up", "1 when the database answered this scrape")
        with self.app.app_context():
            try:
                readings = read()
            except SQLAlchemyError:
                # The process counters are still worth a scrape while the database is away.
                readable.add_metric([], 0)
                return [readable]
        readable.add_metric([], 1)
        due = GaugeMetricFamily("portal_outbox_due_rows", "Outbox rows due and not yet run")
        due.add_metric([], readings.due_rows)
        oldest = GaugeMetricFamily("portal_outbox_oldest_due_age_seconds",
                                   "How long the oldest due outbox row has waited (0 when none)")
        oldest.add_metric([], readings.oldest_due_seconds)
        depth = GaugeMetricFamily("portal_queue_depth", "Jobs waiting in each RQ queue (-1: Redis unreachable)",
                                  labels=["queue"])
        for queue, count in readings.queue_depths.items():
            depth.add_metric([queue], count)
        episodes = GaugeMetricFamily("portal_alert_episodes_open", "Open alert episodes, per kind", labels=["kind"])
        for kind, count in readings.open_episodes.items():
            episodes.add_metric([kind], count)
        return [readable, due, oldest, depth, episodes]


def exposition(app):
    """The text a scrape reads: every process's counters (multiprocess) or this one's, and the store gauges."""
    registry = CollectorRegistry()
    if app.config["PROMETHEUS_MULTIPROC_DIR"]:
        MultiProcessCollector(registry)
        registry.register(StoreCollector(app))
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    registry.register(StoreCollector(app))
    return generate_latest(REGISTRY) + generate_latest(registry), CONTENT_TYPE_LATEST
