"""Alert episodes: the worker's sweep finds conditions worth a lead's attention and e-mails each one once.

An episode opens when a condition is first found (the leads get one e-mail), stays open while later sweeps
still find it, and closes once it has been absent for ALERT_CLEAR_MINUTES; when it comes back after that,
a new episode opens and the leads hear again. Each condition is a plain function over the database.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import labels, metrics
from portal.extensions import db
from portal.i18n import gettext as _
from portal.jobs import schedule
from portal.lead.metrics import complaint_spikes
from portal.models import AlertEpisode, Case, OutboxRow, ShopDelivery, ShopEndpoint, utcnow
from portal.ops.gauges import outbox_due

EVIDENCE_ROWS = 20


def _minutes(name):
    return timedelta(minutes=current_app.config[name])


def complaint_spike_conditions(now):
    """{category: evidence} for every category whose complaints spike (the dashboard's own rule)."""
    found = {}
    for category, recent, average, _factor in complaint_spikes(now).rows:
        references = db.session.scalars(
            select(Case.reference).where(Case.kind == "complaint", Case.category == category,
                                         Case.created_at >= now - timedelta(hours=24), Case.created_at < now)
            .order_by(Case.created_at.desc()).limit(EVIDENCE_ROWS)
        ).all()
        found[category or ""] = {"category": category or "", "last_24h": int(recent),
                                 "daily_average_before": float(average), "cases": references}
    return found


def outbox_backlog_conditions(now):
    """The outbox as one condition: its oldest due row has waited longer than ALERT_OUTBOX_BACKLOG_MINUTES."""
    count, oldest = outbox_due(now)
    if oldest is None or now - oldest < _minutes("ALERT_OUTBOX_BACKLOG_MINUTES"):
        return {}
    rows = db.session.execute(
        select(OutboxRow.key, OutboxRow.job_name, OutboxRow.status, OutboxRow.not_before)
        .where(OutboxRow.status.in_(("pending", "enqueued")), OutboxRow.not_before <= now)
        .order_by(OutboxRow.not_before).limit(EVIDENCE_ROWS)
    ).all()
    return {"": {"due_rows": count, "oldest_minutes": int((now - oldest).total_seconds() // 60),
                 "rows": [{"key": r.key, "job": r.job_name, "status": r.status, "due": r.not_before.isoformat()}
                          for r in rows]}}


def _mail_failures(now):
    # Rows whose last attempt failed to send: retrying now, or given up within the window.
    since = now - _minutes("ALERT_MAIL_WINDOW_MINUTES")
    failed_to_send = OutboxRow.last_error.like("MailError%")
    retrying = (OutboxRow.status.in_(("pending", "enqueued")) & (OutboxRow.attempts > 0))
    given_up = (OutboxRow.status == "failed") & (OutboxRow.finished_at >= since)
    return select(OutboxRow).where(failed_to_send, retrying | given_up)


def mail_failing_conditions(now):
    """E-mail delivery as one condition: at least ALERT_MAIL_FAILURES messages failing to send."""
    statement = _mail_failures(now)
    count = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    if count < current_app.config["ALERT_MAIL_FAILURES"]:
        return {}
    rows = db.session.scalars(statement.order_by(OutboxRow.id.desc()).limit(EVIDENCE_ROWS)).all()
    return {"": {"failures": count,
                 "rows": [{"key": r.key, "job": r.job_name, "status": r.status, "error": r.last_error[:300]}
                          for r in rows]}}


def sla_breach_conditions(now):
    """SLA breaches in a burst: at least ALERT_SLA_BREACHES within ALERT_SLA_WINDOW_MINUTES.

    The sweep writes one `sla.warn_lead` outbox row per breach, keyed sla:breach:..., when it marks it.
    """
    rows = db.session.execute(
        select(OutboxRow.args, OutboxRow.created_at)
        .where(OutboxRow.job_name == "sla.warn_lead", OutboxRow.key.like("sla:breach:%"),
               OutboxRow.created_at >= now - _minutes("ALERT_SLA_WINDOW_MINUTES"), OutboxRow.created_at <= now)
        .order_by(OutboxRow.created_at.desc())
    ).all()
    if len(rows) < current_app.config["ALERT_SLA_BREACHES"]:
        return {}
    case_ids = list(dict.fromkeys(args[0] for args, _created in rows))[:EVIDENCE_ROWS]
    references = dict(db.session.execute(select(Case.id, Case.reference).where(Case.id.in_(case_ids))).all())
    return {"": {"breaches": len(rows), "window_minutes": current_app.config["ALERT_SLA_WINDOW_MINUTES"],
                 "cases": [references[i] for i in case_ids if i in references]}}


def shop_hooks_failing_conditions(now):
    """{endpoint address: evidence} for each endpoint with a delivery given up (after a day of retries) in the last
    day: the shop never heard of a decision, and a person must resend it or tell the shop."""
    rows = db.session.execute(
        select(ShopDelivery.endpoint_id, ShopEndpoint.url, OutboxRow.key, OutboxRow.job_name, OutboxRow.status,
               OutboxRow.last_error)
        .join(ShopEndpoint, ShopEndpoint.id == ShopDelivery.endpoint_id)
        .join(OutboxRow, OutboxRow.key == ShopDelivery.outbox_key)
        .where(OutboxRow.status == "failed", OutboxRow.finished_at >= now - timedelta(days=1),
               ShopDelivery.delivered_at.is_(None))
        .order_by(OutboxRow.finished_at.desc())
    ).all()
    found = {}
    for row in rows:
        evidence = found.setdefault(row.url[:80], {"endpoint_id": row.endpoint_id, "url": row.url, "failures": 0,
                                                   "rows": []})
        evidence["failures"] += 1
        if len(evidence["rows"]) < EVIDENCE_ROWS:
            evidence["rows"].append({"key": row.key, "job": row.job_name, "status": row.status,
                                     "error": row.last_error[:300]})
    return found


CONDITIONS = {
    "complaint_spike": complaint_spike_conditions,
    "outbox_backlog": outbox_backlog_conditions,
    "mail_failing": mail_failing_conditions,
    "sla_breaches": sla_breach_conditions,
    "shop_hooks_failing": shop_hooks_failing_conditions,
}


def sweep(now=None):
    """Open, refresh and close episodes from what each condition finds now; returns {"opened": [...], ...}."""
    now = now or utcnow()
    found = {(kind, subject): evidence for kind, find in CONDITIONS.items()
             for subject, evidence in find(now).items()}
    episodes = {(e.kind, e.subject): e for e in db.session.scalars(
        select(AlertEpisode).where(AlertEpisode.closed_at.is_(None))).all()}
    opened, closed = [], []
    for (kind, subject), evidence in found.items():
        episode = episodes.get((kind, subject))
        if episode is not None:
            episode.last_seen_at, episode.evidence = now, evidence
            continue
        episode = _open(kind, subject, evidence, now)
        if episode is not None:
            opened.append(episode)
    clear_after = _minutes("ALERT_CLEAR_MINUTES")
    for key, episode in episodes.items():
        if key not in found and now - episode.last_seen_at >= clear_after:
            episode.closed_at, episode.open_key = now, None
            closed.append(episode)
    return {"opened": opened, "closed": closed}


def _open(kind, subject, evidence, now):
    """A new episode and, in the same transaction, the outbox row of its one e-mail; None if a parallel
    sweep opened it first."""
    episode = AlertEpisode(kind=kind, subject=subject, open_key=f"{kind}:{subject}", opened_at=now,
                           last_seen_at=now, evidence=evidence)
    try:
        with db.session.begin_nested():
            db.session.add(episode)
            db.session.flush()
    except IntegrityError:
        return None
    schedule("ops.alert_mail", episode.id, key=f"alert:episode:{episode.id}")
    metrics.alerts_opened_total.labels(kind).inc()
    return episode


def subject_words(episode):
    """What an episode concerns, as a person reads it: a complaint spike's category by its label (the episode
    keeps the code), an endpoint by its address; "" for kinds about the whole portal."""
    if episode.kind == "complaint_spike":
        return str(labels.label(episode.subject, "category")) if episode.subject else _("uncategorised")
    return episode.subject


def open_episodes():
    return db.session.scalars(select(AlertEpisode).where(AlertEpisode.closed_at.is_(None))
                              .order_by(AlertEpisode.opened_at.desc())).all()
