"""No internal code reaches a lead's screen or inbox: alert titles name a complaint category by its label, the
top scenarios by their articles' titles, jobs and case states in words, in English and Chinese."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import labels
from portal.i18n import force_locale
from portal.jobs import JOBS
from portal.labels import JOB_LABELS
from portal.models import AlertEpisode, Article, OutboxRow, utcnow
from portal.ops import alerts
from tests.agent.helpers import make_case, sign_in_staff
from tests.e2e.checks import SNAKE_CASE
from worker import alerts as alert_jobs
from worker import notifications

TAG = re.compile(r"<[^>]*>")
SCENARIOS = ("delivered-not-received", "coupon-not-applied")


def _visible_text(html):
    """What a person reads: the page's title and its body without tags (so without any href)."""
    title = re.search(r"<title>(.*?)</title>", html, flags=re.S).group(1)
    body = html.split("<body", 1)[1]
    return title + " " + TAG.sub(" ", re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S))


def _assert_no_code(text):
    assert SNAKE_CASE.findall(text) == []
    for code in ("late_or_lost", "complaint_spike", "mail.staff_invite", *SCENARIOS):
        assert code not in text


@pytest.fixture
def coded_world(db, customer, make_customer):
    """A late_or_lost spike with its alert episode, cases filed after reading articles of two scenarios (one
    written in both languages, one in English only), and a failed staff e-mail."""
    delivered_en = Article(slug="parcel-delivered-not-here", locale="en", title="Parcel marked delivered but not here",
                           body="Body", category="orders-shipping", scenario="delivered-not-received")
    delivered_zh = Article(slug="parcel-delivered-not-here-zh", locale="zh", title="显示已签收但没收到包裹",
                           body="正文", category="orders-shipping", scenario="delivered-not-received")
    coupon_en = Article(slug="coupon-did-not-apply", locale="en", title="My coupon did not apply", body="Body",
                        category="refunds-payments", scenario="coupon-not-applied")
    db.session.add_all([delivered_en, delivered_zh, coupon_en])
    db.session.commit()
    for article in (delivered_en, delivered_zh, coupon_en):
        make_case(make_customer(), category="coupon", created_at=utcnow() - timedelta(days=2),
                  source_article_id=article.id)
    for minutes in range(4):
        make_case(customer, kind="complaint", category="late_or_lost",
                  created_at=utcnow() - timedelta(minutes=minutes + 1))
    db.session.add(OutboxRow(key="staff:invite:1", job_name="mail.staff_invite", args=[1], status="failed",
                             attempts=4, created_at=utcnow() - timedelta(hours=1),
                             finished_at=utcnow() - timedelta(minutes=30),
                             last_error="MailError: SMTPServerDisconnected"))
    alerts.sweep()
    db.session.commit()
    return db.session.scalars(select(AlertEpisode).where(AlertEpisode.kind == "complaint_spike")).one()


def test_lead_pages_and_the_alert_page_show_no_code_in_english(client, lead, coded_world):
    sign_in_staff(client, lead)

    dashboard = _visible_text(client.get("/lead").text)
    alert = _visible_text(client.get(f"/lead/alerts/{coded_world.id}").text)

    assert "Complaint spike: My order is late or lost" in dashboard
    assert "Parcel marked delivered but not here" in dashboard and "My coupon did not apply" in dashboard
    assert "Complaint spike: My order is late or lost" in alert
    for text in (dashboard, alert):
        _assert_no_code(text)


def test_lead_pages_and_the_alert_page_show_no_code_in_chinese(client, lead, coded_world):
    sign_in_staff(client, lead)
    client.post("/locale", data={"locale": "zh", "next": "/"})

    dashboard = _visible_text(client.get("/lead").text)
    alert = _visible_text(client.get(f"/lead/alerts/{coded_world.id}").text)

    assert "投诉激增: 我的订单延误或丢失" in dashboard and "投诉激增: 我的订单延误或丢失" in alert
    # The scenario's Chinese article names it; one with only an English article keeps that title.
    assert "显示已签收但没收到包裹" in dashboard and "Parcel marked delivered but not here" not in dashboard
    assert "My coupon did not apply" in dashboard
    for text in (dashboard, alert):
        _assert_no_code(text)


def test_the_alert_page_names_its_jobs_in_words(client, lead, db, customer):
    db.session.add_all(OutboxRow(key=f"shop:delivery:{n}", job_name="shop.deliver", args=[n], status="pending",
                                 attempts=0, not_before=utcnow() - timedelta(hours=2),
                                 created_at=utcnow() - timedelta(hours=2)) for n in range(2))
    alerts.sweep()
    db.session.commit()
    episode = db.session.scalars(select(AlertEpisode).where(AlertEpisode.kind == "outbox_backlog")).one()
    sign_in_staff(client, lead)

    page = client.get(f"/lead/alerts/{episode.id}").text

    assert "Message to the shop" in page and ">shop.deliver<" not in page


def test_the_alert_e_mail_names_the_category_by_its_label(app, coded_world):
    with force_locale("en"):
        assert alert_jobs.subject_of(coded_world) == "Complaint spike: My order is late or lost"


def test_the_escalation_e_mail_gives_the_case_in_words(app, customer, lead, mail_sink):
    case = make_case(customer, category="late_or_lost", status="needs_review", urgency="medium")

    notifications.alert_escalation(case.id)

    [mail] = mail_sink.to(lead.email)
    text = mail.get_body(("plain",)).get_content()
    assert "(Medium urgency)" in mail["Subject"]
    assert f"Case {case.reference}: Complaint, Medium urgency, status Under review." in text
    _assert_no_code(text + mail["Subject"])


def test_every_job_has_words_for_the_pages_that_list_jobs():
    assert set(JOBS) <= set(JOB_LABELS)


@pytest.mark.parametrize("locale, reason", [("en", "The mail server refused it or could not be reached"),
                                            ("zh", None)])
def test_the_alert_page_says_what_each_failed_job_was_about_and_why_never_its_key_or_error(
        client, lead, db, customer, locale, reason):
    case = make_case(customer, category="late_or_lost")
    db.session.add_all(OutboxRow(key=f"case:{case.id}:event:{n}", job_name="case.notify", args=[case.id, n],
                                 status="failed", attempts=4, finished_at=utcnow() - timedelta(minutes=2),
                                 last_error="MailError: SMTP 127.0.0.1:2525: [Errno 111] Connection refused")
                       for n in range(3))
    alerts.sweep()
    db.session.commit()
    episode = db.session.scalars(select(AlertEpisode).where(AlertEpisode.kind == "mail_failing")).one()
    sign_in_staff(client, lead)
    if locale == "zh":
        client.post("/locale", data={"locale": "zh", "next": "/"})

    text = _visible_text(client.get(f"/lead/alerts/{episode.id}").text)

    assert text.count(case.reference) == 3
    if reason:
        assert text.count(reason) == 3
    for leak in (f"case:{case.id}", "MailError", "Errno", "127.0.0.1"):
        assert leak not in text
    _assert_no_code(text)


@pytest.mark.parametrize("error, kind", [
    ("MailError: SMTP 127.0.0.1:25: [Errno 111] Connection refused", "mail"),
    ("Traceback (most recent call last):\n  ...\nsmtplib.SMTPServerDisconnected: gone", "mail"),
    ("DeliveryFailed: HTTP 503: busy", "shop"),
    ("ConnectionRefusedError: [Errno 111] Connection refused", "unreachable"),
    ("KeyError: 'case'", "other"),
    ("", ""),
])
def test_a_failed_jobs_error_is_read_as_a_kind_with_words(app, error, kind):
    assert labels.failure(error) == kind
    with force_locale("zh"):
        assert (labels.failure_text(error) != "") is bool(kind)
        assert "Error" not in labels.failure_text(error)
