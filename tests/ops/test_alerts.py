"""Alert episodes from real data: e-mailed to the leads once per episode, again only after it ended and recurred."""

from datetime import timedelta

from sqlalchemy import select, update

from portal.jobs import schedule
from portal.models import AlertEpisode, OutboxRow, utcnow
from tests.agent.helpers import make_case, sign_in_staff
from worker import alerts, runtime


def sweep_and_deliver(app, db, now=None, queues=runtime.QUEUE_NAMES):
    """One alert sweep at `now`, then the worker runs what it queued (the e-mails) on real Redis."""
    alerts.sweep(now)
    db.session.commit()
    runtime.run(app, burst=True, queue_names=queues)


def episodes(db, kind):
    db.session.expire_all()
    return db.session.scalars(select(AlertEpisode).where(AlertEpisode.kind == kind).order_by(AlertEpisode.id)).all()


def alert_mails(mail_sink, lead, words):
    return [m for m in mail_sink.to(lead.email) if words in m["Subject"]]


def complaints(customer, count, at, category="damaged"):
    for minutes in range(count):
        make_case(customer, kind="complaint", category=category, created_at=at - timedelta(minutes=minutes + 1))


def test_a_complaint_spike_is_mailed_once_per_episode(app, db, redis, customer, lead, mail_sink):
    start = utcnow()
    complaints(customer, 3, start)

    # The first sweep runs as the worker runs it: a periodic outbox row.
    schedule("ops.alert_sweep", key="ops.alert_sweep:test")
    db.session.commit()
    runtime.run(app, burst=True)
    sweep_and_deliver(app, db, start + timedelta(minutes=1))
    sweep_and_deliver(app, db, start + timedelta(minutes=30))

    [mail] = alert_mails(mail_sink, lead, "Complaint spike: Arrived damaged")
    [episode] = episodes(db, "complaint_spike")
    assert episode.is_open and episode.evidence["last_24h"] == 3
    assert f"http://portal.test/lead/alerts/{episode.id}" in mail.get_body(("plain",)).get_content()

    # A day on, the complaints are history: the episode ends. Then the category spikes again.
    later = start + timedelta(hours=25)
    sweep_and_deliver(app, db, later)
    assert not episodes(db, "complaint_spike")[0].is_open
    complaints(customer, 6, later + timedelta(hours=1))
    sweep_and_deliver(app, db, later + timedelta(hours=1))
    sweep_and_deliver(app, db, later + timedelta(hours=1, minutes=1))

    assert len(alert_mails(mail_sink, lead, "Complaint spike: Arrived damaged")) == 2
    assert [e.is_open for e in episodes(db, "complaint_spike")] == [False, True]


def _written_at(db, key, moment):
    db.session.execute(update(OutboxRow).where(OutboxRow.key == key).values(created_at=moment))
    db.session.commit()


def test_a_job_written_for_a_slot_already_past_waits_from_its_writing_not_the_slot(app, db, redis, customer,
                                                                                  lead, mail_sink):
    # A first start writes the hour's clean-up for the hour already begun: it has not waited that long.
    now = utcnow()
    schedule("mail.welcome", customer.id, key="welcome:slot", not_before=now - timedelta(minutes=40))
    db.session.commit()

    sweep_and_deliver(app, db, now + timedelta(minutes=1), queues=["high"])

    assert episodes(db, "outbox_backlog") == []
    assert alert_mails(mail_sink, lead, "Work is stuck") == []


def test_an_outbox_backlog_is_mailed_once_and_again_after_it_recurs(app, db, redis, customer, lead, mail_sink):
    now = utcnow()
    schedule("mail.welcome", customer.id, key="welcome:stuck", not_before=now - timedelta(minutes=15))
    _written_at(db, "welcome:stuck", now - timedelta(minutes=15))

    # Only the high queue runs (the alerts'): the welcome mail stays stuck behind a worker that does not run it.
    sweep_and_deliver(app, db, now, queues=["high"])
    sweep_and_deliver(app, db, now + timedelta(minutes=2), queues=["high"])

    [mail] = alert_mails(mail_sink, lead, "Work is stuck")
    assert "15 minutes late" in mail["Subject"]
    assert episodes(db, "outbox_backlog")[0].evidence["rows"][0]["key"] == "welcome:stuck"

    runtime.run(app, burst=True)  # a worker for every queue is back: the backlog clears
    sweep_and_deliver(app, db, now + timedelta(minutes=3))
    assert episodes(db, "outbox_backlog")[0].is_open  # gone for a minute only: not over yet
    sweep_and_deliver(app, db, now + timedelta(minutes=14))
    assert not episodes(db, "outbox_backlog")[0].is_open

    schedule("mail.welcome", customer.id, key="welcome:stuck-again", not_before=now)
    db.session.commit()
    sweep_and_deliver(app, db, now + timedelta(minutes=30), queues=["high"])

    assert len(alert_mails(mail_sink, lead, "Work is stuck")) == 2


def test_sla_breaches_in_a_burst_are_mailed_once_per_episode(app, db, redis, customer, lead, mail_sink):
    now = utcnow()
    for _ in range(3):
        make_case(customer, created_at=now - timedelta(minutes=30))  # high urgency: 10 minutes to respond
    schedule("sla.sweep", key="sla.sweep:burst")
    db.session.commit()
    runtime.run(app, burst=True)  # the real SLA sweep marks the breaches

    sweep_and_deliver(app, db, utcnow())
    sweep_and_deliver(app, db, utcnow() + timedelta(minutes=5))

    [mail] = alert_mails(mail_sink, lead, "missed their SLA target")
    assert mail["Subject"] == "3 cases missed their SLA target in 60 minutes"
    [episode] = episodes(db, "sla_breaches")
    assert len(episode.evidence["cases"]) == 3

    # An hour later the burst is over; three new breaches make a new episode.
    sweep_and_deliver(app, db, utcnow() + timedelta(minutes=75))
    assert not episodes(db, "sla_breaches")[0].is_open
    for _ in range(3):
        make_case(customer, created_at=utcnow() - timedelta(minutes=30))
    schedule("sla.sweep", key="sla.sweep:burst-2")
    db.session.commit()
    runtime.run(app, burst=True)
    sweep_and_deliver(app, db, utcnow())

    assert len(alert_mails(mail_sink, lead, "missed their SLA target")) == 2


def test_failing_mail_delivery_opens_an_episode(app, db, redis, customer, lead, smtp_server):
    for n in range(3):
        schedule("mail.welcome", customer.id, key=f"welcome:refused:{n}")
    db.session.commit()
    smtp_server.mode = "refuse"
    runtime.run(app, burst=True)

    alerts.sweep()
    db.session.commit()

    [episode] = episodes(db, "mail_failing")
    assert episode.evidence["failures"] == 3
    assert episode.evidence["rows"][0]["error"].startswith("MailError")


def test_the_dashboard_shows_open_episodes_with_a_link_to_the_evidence(app, client, db, customer, lead):
    complaints(customer, 3, utcnow())
    alerts.sweep()
    db.session.commit()
    [episode] = episodes(db, "complaint_spike")
    sign_in_staff(client, lead)

    dashboard = client.get("/lead").text
    evidence = client.get(f"/lead/alerts/{episode.id}").text

    assert "Open alerts" in dashboard and f'href="/lead/alerts/{episode.id}"' in dashboard
    assert "Complaints in the last 24 hours" in evidence
    assert "/agent/cases/" in evidence


def test_only_leads_see_alert_evidence(app, client, db, customer, agent, lead):
    complaints(customer, 3, utcnow())
    alerts.sweep()
    db.session.commit()
    [episode] = episodes(db, "complaint_spike")

    assert client.get(f"/lead/alerts/{episode.id}").status_code == 302  # to the staff sign-in
    sign_in_staff(client, agent)
    assert client.get(f"/lead/alerts/{episode.id}").status_code == 403


def test_hostile_episode_ids_get_404(client, lead):
    sign_in_staff(client, lead)

    for path in ("/lead/alerts/999999", "/lead/alerts/-1", "/lead/alerts/abc", "/lead/alerts/1%00",
                 "/lead/alerts/" + "9" * 40):
        assert client.get(path).status_code == 404, path


def test_a_delivery_to_the_shop_given_up_opens_an_episode_mailed_once(app, client, db, redis, customer, lead,
                                                                       make_order, mail_sink):
    from portal.models import OutboxRow, ShopEndpoint
    from portal.orders import service as orders

    endpoint = ShopEndpoint(url="https://shop.example.com/hooks", secret="whsec_x",
                            event_types=["order.cancel_requested"], active=True)
    db.session.add(endpoint)
    db.session.commit()
    orders.cancel(make_order(customer=customer, status="paid"), utcnow())
    db.session.execute(OutboxRow.__table__.update().where(OutboxRow.job_name == "shop.deliver")
                       .values(status="failed", finished_at=utcnow(), last_error="DeliveryFailed: HTTP 503"))
    db.session.commit()

    sweep_and_deliver(app, db)
    sweep_and_deliver(app, db, utcnow() + timedelta(minutes=1))

    [episode] = episodes(db, "shop_hooks_failing")
    assert episode.subject == endpoint.url and episode.evidence["failures"] == 1
    [mail] = alert_mails(mail_sink, lead, "The shop did not get 1 of our decisions")
    sign_in_staff(client, lead)
    evidence = client.get(f"/lead/alerts/{episode.id}").text
    assert f'href="/admin/shop-endpoints/{endpoint.id}"' in evidence and "HTTP 503" in evidence
