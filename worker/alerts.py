"""Alert jobs: the minute's sweep over the alert conditions, and the one e-mail each new episode sends."""

from portal.extensions import db
from portal.formatting import format_datetime
from portal.i18n import force_locale
from portal.i18n import gettext as _
from portal.models import AlertEpisode
from portal.ops import alerts
from portal.web import external_url
from worker.notifications import active_leads, send_to_staff


def sweep(now=None):
    """One round of the alert watch; returns a summary for the outbox row's result."""
    outcome = alerts.sweep(now)
    return f"{len(outcome['opened'])} opened, {len(outcome['closed'])} closed"


def subject_of(episode):
    """The e-mail's subject: what is wrong, in a line."""
    subjects = {
        "complaint_spike": lambda: _("Complaint spike: %(category)s", category=alerts.subject_words(episode)),
        "outbox_backlog": lambda: _("Work is stuck: the oldest waiting job is %(minutes)d minutes late",
                                    minutes=episode.evidence.get("oldest_minutes", 0)),
        "mail_failing": lambda: _("E-mail delivery is failing: %(count)d messages not sent",
                                  count=episode.evidence.get("failures", 0)),
        "sla_breaches": lambda: _("%(count)d cases missed their SLA target in %(minutes)d minutes",
                                  count=episode.evidence.get("breaches", 0),
                                  minutes=episode.evidence.get("window_minutes", 0)),
        "shop_hooks_failing": lambda: _("The shop did not get %(count)d of our decisions at %(url)s",
                                        count=episode.evidence.get("failures", 0),
                                        url=episode.evidence.get("url", "")),
    }
    return subjects[episode.kind]()


def send_alert(episode_id):
    """E-mail the leads that an episode opened, with a link to its evidence page; once per episode (its key)."""
    episode = db.session.get(AlertEpisode, episode_id)
    leads = active_leads()
    if episode is None or not leads:
        return "no episode" if episode is None else "no leads"
    with force_locale("en"):
        message = _("This started at %(time)s UTC. You get this e-mail once; the dashboard shows the alert "
                    "until it has cleared.", time=format_datetime(episode.opened_at, "medium", zone="UTC"))
        return send_to_staff(leads, subject_of(episode), "ops_alert", message=message,
                             link=external_url("ops.alert", episode_id=episode.id))
