"""Log lines: one per request and per job, each carrying the request id that caused the work.

The id is kept in a context variable: a request sets it, `portal.jobs.schedule` stores it on the outbox
row, and the worker sets it again while that row's job runs, so one id finds the complaint, the job that
mailed the customer and the mail server's answer. LOG_FORMAT picks JSON lines (production) or plain ones.
"""

import logging
import re
import sys
import uuid
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

current_request_id = ContextVar("current_request_id", default=None)
# What a load balancer may hand us in X-Request-ID; anything else is replaced by an id of our own.
FOREIGN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ["asctime", "levelname", "name", "message", "request_id"]


def new_request_id():
    return uuid.uuid4().hex


def request_id_from(header):
    header = (header or "").strip()
    return header if FOREIGN_ID.fullmatch(header) else new_request_id()


class RequestIdFilter(logging.Filter):
    """Stamps every record with the id of the request or job at hand ("-" outside both)."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get() or "-"
        return True


def formatter(log_format):
    if log_format == "json":
        return JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level",
                                                         "name": "logger"})
    return logging.Formatter(PLAIN_FORMAT)


def configure(log_format, level="INFO", stream=None):
    """Send every log line to stderr (or `stream`) in the chosen format; called once by each entry point."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return handler
