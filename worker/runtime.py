"""The worker process: an RQ worker that runs jobs in the app's context, plus the relay thread."""

import contextlib
import logging
import os
import socket
import threading
import time

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from portal.extensions import db
from portal.home.health import WORKER_HEARTBEAT_PREFIX
from worker import relay

log = logging.getLogger("worker")
QUEUE_NAMES = ("high", "default", "low")
HEARTBEAT_TTL = 30
HEARTBEAT_EVERY = 5


class PortalWorker(SimpleWorker):
    """Runs each job in the same process (no fork per job) inside a fresh app context."""

    app = None

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
        last_beat = last_recovery = 0.0
        interval = self.app.config["OUTBOX_RELAY_INTERVAL"]
        while not self.stopping.is_set():
            now = time.monotonic()
            try:
                with self.app.app_context():
                    relay.relay_due(self.connection)
                    if now - last_recovery >= 10:
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


def run(app, burst=False, queue_names=QUEUE_NAMES):
    """Run until SIGTERM/SIGINT (the current job finishes first), or until the queues are empty with burst."""
    name = f"{socket.gethostname()}.{os.getpid()}"
    connection = connect(app)
    if burst:
        with app.app_context():
            relay.relay_due(connection)
        make_worker(app, connection, queue_names, name).work(burst=True, logging_level="WARNING")
        return
    relay_thread = Relay(app, connection, name)
    relay_thread.start()
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
        relay_thread.stop()
