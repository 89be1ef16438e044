"""Prometheus metrics: counters and histograms fed where things happen, gauges read from the stores at scrape.

With PROMETHEUS_MULTIPROC_DIR set (`flask serve` sets it for gunicorn and the worker), every process writes
its counters to files there and a scrape adds them up, so each gunicorn process counts.
"""

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

# Page and job latencies: a page should answer well under a second; jobs may take up to their timeout.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300)

requests_total = Counter("portal_http_requests_total", "HTTP requests answered, per route and status",
                         ["method", "route", "status"])
request_seconds = Histogram("portal_http_request_duration_seconds", "Time to answer a request, per route",
                            ["method", "route"], buckets=REQUEST_BUCKETS)
jobs_total = Counter("portal_jobs_total", "Outbox jobs run, per job and outcome (done, failed)", ["job", "outcome"])
job_seconds = Histogram("portal_job_duration_seconds", "Time to run one outbox job", ["job"], buckets=JOB_BUCKETS)
emails_total = Counter("portal_emails_total", "E-mails handed to the mail server (sent) or refused (failed)",
                       ["outcome"])
sla_events_total = Counter("portal_sla_events_total", "SLA warnings and breaches found by the sweep",
                           ["target", "kind"])
searches_without_result_total = Counter("portal_searches_without_result_total",
                                        "Help-center searches that found nothing", ["locale"])
triage_decisions_total = Counter("portal_triage_decisions_total", "Complaints triaged, per urgency and escalation",
                                 ["urgency", "escalated"])
webhook_events_total = Counter("portal_webhook_events_total", "Shop webhook events, applied or refused",
                               ["outcome"])
alerts_opened_total = Counter("portal_alert_episodes_opened_total", "Alert episodes opened, per kind", ["kind"])


class StoreCollector:
    """Gauges read at scrape time from the database and Redis: they describe the stores, not one process."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        from sqlalchemy.exc import SQLAlchemyError

        from portal.ops import gauges

        readable = GaugeMetricFamily("portal_store_readings_up", "1 when the database answered this scrape")
        with self.app.app_context():
            try:
                readings = gauges.read()
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
