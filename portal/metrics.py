"""Prometheus metrics: counters and histograms fed where things happen (portal.ops.gauges serves the scrape).

With PROMETHEUS_MULTIPROC_DIR set (`flask serve` sets it for gunicorn and the worker), every process writes
its counters to files there and a scrape adds them up, so each gunicorn process counts.
"""

from prometheus_client import Counter, Histogram

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
