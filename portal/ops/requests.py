"""Per request: an id (kept in the log lines and in the outbox rows the request writes), a log line, metrics."""

import logging
import time

from flask import g, request

from portal import metrics
from portal.logs import current_request_id, request_id_from

log = logging.getLogger("portal.request")


def _start():
    g.request_started = time.perf_counter()
    g.request_id = request_id_from(request.headers.get("X-Request-ID"))
    g.request_id_token = current_request_id.set(g.request_id)


def _finish(response):
    started = g.pop("request_started", None)
    if started is None:
        return response
    seconds = time.perf_counter() - started
    # The rule, not the path: /agent/cases/<reference> is one series, however many cases there are.
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    metrics.requests_total.labels(request.method, route, str(response.status_code)).inc()
    metrics.request_seconds.labels(request.method, route).observe(seconds)
    response.headers["X-Request-ID"] = g.request_id
    log.info("%s %s %s %.1f ms", request.method, request.path, response.status_code, seconds * 1000,
             extra={"request_id": g.request_id, "method": request.method, "path": request.path, "route": route,
                    "status": response.status_code, "duration_ms": round(seconds * 1000, 1)})
    return response


def _forget(_error):
    token = g.pop("request_id_token", None)
    if token is not None:
        current_request_id.reset(token)


def init_app(app):
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)
