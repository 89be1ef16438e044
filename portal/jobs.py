"""The only door to the queue: work is written to the outbox in the caller's transaction.

The worker's relay moves due rows into RQ; see worker/relay.py. Nothing here talks to Redis,
so a request succeeds and its work is kept even while Redis is down.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db
from portal.logs import current_request_id
from portal.models import OutboxRow, utcnow


@dataclass(frozen=True)
class JobSpec:
    function: str  # dotted path of a plain function in worker/ that takes ids
    queue: str = "default"  # high, default or low
    timeout: int = 60  # seconds before RQ stops the job
    # The setting that lists the waits before each retry, when OUTBOX_RETRY_DELAYS does not fit the job.
    retry_delays: str = "OUTBOX_RETRY_DELAYS"


# Every job the portal may schedule. High: what a customer is waiting for right now.
JOBS = {
    "mail.welcome": JobSpec("worker.notifications.send_welcome"),
    "mail.signin_link": JobSpec("worker.order_mail.send_signin_link", queue="high"),
    "mail.account_delete_confirm": JobSpec("worker.order_mail.send_account_delete_confirm", queue="high"),
    "mail.order_status": JobSpec("worker.order_mail.send_order_status"),
    # Staff accounts (portal/auth/staff.py, portal/admin): invitations, reset links, strangers' failed sign-ins.
    "mail.staff_invite": JobSpec("worker.staff_mail.send_invite", queue="high"),  # (staff_id,)
    "mail.staff_reset": JobSpec("worker.staff_mail.send_password_reset", queue="high"),  # (staff_id,)
    "mail.staff_signin_alert": JobSpec("worker.staff_mail.send_signin_alert", queue="high"),  # (staff_id,)
    "search.reindex_article": JobSpec("worker.search.reindex_article", queue="default", timeout=300),
    # Case lifecycle -> worker. The cases package schedules these; worker/ implements them.
    "case.notify": JobSpec("worker.notifications.send_case_update"),  # (case_id, case_event_id)
    "case.escalated": JobSpec("worker.notifications.alert_escalation", queue="high"),  # (case_id,)
    "survey.invite": JobSpec("worker.surveys.send_invitation", queue="low"),  # (case_id,)
    "survey.reminder": JobSpec("worker.surveys.send_reminder", queue="low"),  # (case_id,)
    "followup.check": JobSpec("worker.followups.check_in", queue="low"),  # (case_id,)
    # The day before a booked repair or call (portal/bookings.py).
    "booking.reminder": JobSpec("worker.bookings.send_reminder"),  # (booking_id, slot start ISO)
    # A return's drop-off deadline (portal/returns/parcel.py): a reminder before it, the expiry after it.
    "return.reminder": JobSpec("worker.returns.send_reminder"),  # (case_id, deadline iso)
    "return.expire": JobSpec("worker.returns.expire"),  # (case_id, deadline iso)
    # The SLA watch: the sweep runs every minute (worker/runtime.PERIODIC) and schedules the rest.
    "sla.sweep": JobSpec("worker.sla.sweep", timeout=120),  # ()
    "sla.warn_lead": JobSpec("worker.sla.warn_leads", queue="high"),  # (case_id, target, kind)
    "mail.order_late": JobSpec("worker.notifications.send_order_late"),  # (order_id,)
    # The dashboard's daily roll-ups: builds closed days and rebuilds changed ones (worker/runtime.PERIODIC).
    "lead.rollup_sweep": JobSpec("worker.rollups.sweep", queue="low", timeout=600),  # ()
    # Mail that reached us (portal/inbound): what it becomes, and our one answer when one is due.
    "inbound.process": JobSpec("worker.inbound.process", queue="high"),  # (inbound_message_id,)
    "inbound.answer": JobSpec("worker.inbound.answer"),  # (inbound_message_id,)
    "inbound.files_not_kept": JobSpec("worker.inbound.files_not_kept"),  # (inbound_message_id, case_id, names)
    # Hourly: old periodic rows and abandoned return drafts (worker/runtime.PERIODIC).
    "cleanup.run": JobSpec("worker.cleanup.run", queue="low", timeout=600),  # ()
    # Every minute: alert episodes (portal/ops/alerts.py); each new one e-mails the leads once.
    "ops.alert_sweep": JobSpec("worker.alerts.sweep"),  # ()
    "ops.alert_mail": JobSpec("worker.alerts.send_alert", queue="high"),  # (episode_id,)
    # Our decisions, POSTed to the shop's endpoints (portal/shop_events.py); retried for over a day.
    "shop.deliver": JobSpec("worker.shop_hooks.deliver", timeout=60,
                            retry_delays="SHOP_HOOK_RETRY_DELAYS"),  # (shop_delivery_id,)
}


class UnknownJob(ValueError):
    pass


def schedule(job_name, *args, key, not_before=None):
    """Write an outbox row for `job_name(*args)` unless one with `key` exists; True when written.

    Runs inside the caller's transaction: the row commits, or rolls back, with the change that caused it.
    """
    spec = JOBS.get(job_name)
    if spec is None:
        raise UnknownJob(job_name)
    if not_before is not None and not isinstance(not_before, datetime):
        raise TypeError("not_before must be a datetime")
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(OutboxRow.__table__)
        .values(
            key=key,
            job_name=job_name,
            args=list(args),
            queue=spec.queue,
            status="pending",
            attempts=0,
            not_before=not_before or utcnow(),
            created_at=utcnow(),
            result="",
            last_error="",
            request_id=current_request_id.get(),
        )
        .on_conflict_do_nothing(index_elements=["key"])
        # RETURNING, not rowcount: psycopg reports -1 as the rowcount of this statement.
        .returning(OutboxRow.__table__.c.id)
    )
    return db.session.execute(statement).scalar() is not None
