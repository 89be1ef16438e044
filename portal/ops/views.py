"""/metrics for Prometheus, and the evidence page an alert e-mail links to."""

import hmac
import ipaddress
from datetime import datetime

from flask import Blueprint, abort, current_app, render_template, request

from portal import labels
from portal.auth.staff import staff_required
from portal.extensions import csrf, db
from portal.i18n import lazy_gettext as _l
from portal.models import AlertEpisode
from portal.ops import alerts, gauges
from portal.web import no_store

bp = Blueprint("ops", __name__)


def _scrape_allowed():
    config = current_app.config
    if config["METRICS_TOKEN"]:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(),
                                                                   config["METRICS_TOKEN"].encode())
    # A proxy on this host would make every visitor look local: a forwarded request is never "internal".
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in config["METRICS_NETWORKS"])


@bp.get("/metrics")
@csrf.exempt
def scrape():
    """Every counter and gauge in Prometheus' text format, for a scraper with the token or on the inside."""
    if not _scrape_allowed():
        if current_app.config["METRICS_TOKEN"]:
            return "a bearer token is required\n", 401, {"WWW-Authenticate": "Bearer", "Content-Type": "text/plain"}
        return "metrics are served to internal addresses only\n", 403, {"Content-Type": "text/plain"}
    body, content_type = gauges.exposition(current_app._get_current_object())
    return no_store((body, 200, {"Content-Type": content_type}))


# What each kind of episode is, for the dashboard and the evidence page.
KIND_LABELS = {
    "complaint_spike": _l("Complaint spike"),
    "outbox_backlog": _l("Work waiting too long"),
    "mail_failing": _l("E-mail delivery failing"),
    "sla_breaches": _l("SLA breaches in a burst"),
    "shop_hooks_failing": _l("Webhooks to the shop failing"),
}


# An outbox row's state, in a lead's words.
ROW_STATES = {"pending": _l("waiting"), "enqueued": _l("queued"), "running": _l("running"),
              "done": _l("done"), "failed": _l("given up")}


def open_alert_episodes():
    """The open episodes, for the leads' dashboard."""
    return alerts.open_episodes()


def alert_kind(kind):
    return KIND_LABELS.get(kind, kind)


def alert_subject(episode):
    return alerts.subject_words(episode)


def row_state(status):
    return ROW_STATES.get(status, status)


@bp.get("/lead/alerts/<int(max=2147483647):episode_id>")
@staff_required("lead")
def alert(episode_id):
    """One alert episode: what was found, when, and the rows or cases behind it."""
    episode = db.session.get(AlertEpisode, episode_id)
    if episode is None:
        abort(404)
    return render_template("ops/alert.html", episode=episode, jobs=_job_rows((episode.evidence or {}).get("rows")))


def _job_rows(rows):
    """The evidence's outbox rows as a lead reads them: what each was about (a case or an order), the job and its
    state in words, and why it failed or since when it waits; never the key or the error's text."""
    rows = rows or []
    subjects = labels.job_subjects(row.get("key") for row in rows)
    return [{"subject": subjects.get(row.get("key")), "job": row.get("job"), "status": row.get("status"),
             "failure": labels.failure_text(row.get("error")), "due": _moment(row.get("due"))} for row in rows]


def _moment(text):
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
