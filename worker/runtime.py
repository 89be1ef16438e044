"""The worker process: an RQ worker that runs jobs in the app's context, plus the relay thread."""

import contextlib
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from portal.extensions import db
from portal.home.health import WORKER_HEARTBEAT_PREFIX
from portal.jobs import schedule
from portal.models import utcnow
from worker import inbound, outbox, relay

log = logging.getLogger("worker")
QUEUE_NAMES = ("high", "default", "low")
HEARTBEAT_TTL = 30
HEARTBEAT_EVERY = 5
BURST_ROUNDS = 20


@dataclass(frozen=True)
class Periodic:
    job_name: str
    every: timedelta


# Every periodic job, in one list. Each period is one outbox row keyed by its start, so however many
# workers run, a period runs once; a period missed while no worker ran is not made up.
PERIODIC = [
    Periodic("sla.sweep", timedelta(minutes=1)),
    Periodic("lead.rollup_sweep", timedelta(minutes=5)),
    Periodic("cleanup.run", timedelta(hours=1)),
    Periodic("ops.alert_sweep", timedelta(minutes=1)),
]


def schedule_periodic(now=None):
    """Write the current period's row of every periodic job (no-op when it exists); returns how many."""
    now = now or utcnow()
    written = 0
    for job in PERIODIC:
        seconds = int(job.every.total_seconds())
        start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)
        written += schedule(job.job_name, key=f"{job.job_name}:{start:%Y-%m-%dT%H:%M:%S}", not_before=start)
    db.session.commit()
    return written


class PortalWorker(SimpleWorker):
    """Runs each job in the same process (no fork per job) inside a fresh app context."""

    app = None

    def request_stop(self, signum, frame):
        outbox.stopping.set()  # a batch stops between rows; the row at hand finishes
        super().request_stop(signum, frame)

    def set_shutdown_requested_date(self):
        # RQ writes this date to Redis from the SIGTERM handler. The signal can land while redis-py holds its
        # event dispatcher's lock (not reentrant) in this same thread, and the write then waited on it forever:
        # the worker never stopped. The date only feeds `rq info`; the stop itself is a flag.
        pass

    def execute_job(self, job, queue):
        with self.app.app_context():
            try:
                return super().execute_job(job, queue)
            finally:
                db.session.remove()


def connect(app):
    return Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=10,
                          health_check_interval=30)


def make_worker(app, connection, queue_names=QUEUE_NAMES, name=None):
    queues = [Queue(q, connection=connection, serializer=JSONSerializer) for q in queue_names]
    worker = PortalWorker(queues, connection=connection, serializer=JSONSerializer, name=name,
                          log_job_description=False)
    worker.app = app
    return worker


class Relay(threading.Thread):
    """Every interval: enqueue due outbox rows, recover lost ones, and beat the heart /healthz reads."""

    def __init__(self, app, connection, name):
        super().__init__(name="outbox-relay", daemon=True)
        self.app = app
        self.connection = connection
        self.heartbeat_key = WORKER_HEARTBEAT_PREFIX + name
        self.stopping = threading.Event()

    def run(self):
        last_beat = last_recovery = last_periodic = 0.0
        interval = self.app.config["OUTBOX_RELAY_INTERVAL"]
        recovery_every = min(10.0, self.app.config["OUTBOX_STALE_AFTER"].total_seconds())
        while not self.stopping.is_set():
            now = time.monotonic()
            try:
                with self.app.app_context():
                    if now - last_periodic >= 5:
                        schedule_periodic()
                        last_periodic = now
                    relay.relay_all_due(self.connection)
                    if now - last_recovery >= recovery_every:
                        relay.requeue_lost(self.connection)
                        last_recovery = now
                    db.session.remove()
                if now - last_beat >= HEARTBEAT_EVERY:
                    self.connection.set(self.heartbeat_key, int(time.time()), ex=HEARTBEAT_TTL)
                    last_beat = now
            except (RedisConnectionError, RedisTimeoutError, OSError) as error:
                log.warning("relay: redis unavailable (%s); retrying", error)
            except Exception:
                log.exception("relay round failed; retrying")
            self.stopping.wait(interval)

    def stop(self):
        self.stopping.set()
        self.join(timeout=5)
        with contextlib.suppress(RedisConnectionError, RedisTimeoutError, OSError):
            self.connection.delete(self.heartbeat_key)


def run_burst(app, connection, queue_names=QUEUE_NAMES, name=None, now=None):
    """Relay what is due at `now` and run it, again while jobs make more work due; then return.

    `now` is the one clock tests move: rows due later than it (a follow-up in 3 days) stay in the database.
    """
    for _ in range(BURST_ROUNDS):
        with app.app_context():
            moved = relay.relay_all_due(connection, now)
            db.session.remove()
        queued = sum(Queue(q, connection=connection).count for q in queue_names)
        if not moved and not queued:
            return
        make_worker(app, connection, queue_names, name).work(burst=True, logging_level="WARNING")


def run(app, burst=False, queue_names=QUEUE_NAMES, now=None):
    """Run until SIGTERM/SIGINT (the current job finishes first), or until nothing is due with burst."""
    name = f"{socket.gethostname()}.{os.getpid()}"
    connection = connect(app)
    outbox.stopping.clear()
    if burst:
        run_burst(app, connection, queue_names, name, now)
        return
    relay_thread = Relay(app, connection, name)
    relay_thread.start()
    channels = inbound.start_channels(app)
    try:
        while True:
            try:
                worker = make_worker(app, connection, queue_names, name)
                worker.work(logging_level="WARNING", with_scheduler=False)
            except (RedisConnectionError, RedisTimeoutError) as error:
                log.warning("worker: redis unavailable (%s); reconnecting in 2 s", error)
                time.sleep(2)
                continue
            break  # work() returns only when a shutdown was asked for
    finally:
        for channel in channels:
            channel.stop()
        relay_thread.stop()
