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
from pathlib import Path

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


def configure(log_format, level="INFO", stream=None, log_file=None):
    """Send every log line to stderr (or `stream`) in the chosen format; called once by each entry point.

    With `log_file` (what `make run` gives its children) every line goes to that file and the terminal keeps
    only warnings and errors, so the welcome banner is not scrolled away by routine request and job lines.
    """
    terminal = logging.StreamHandler(stream or sys.stderr)
    handlers = [terminal]
    if log_file:
        terminal.setLevel(logging.WARNING)
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(formatter(log_format))
        handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(level)
    return terminal
