from datetime import timedelta

from sqlalchemy import func, select

from portal import demo
from portal.agent.service import QueueFilters, queue
from portal.extensions import db as _db
from portal.lead import metrics
from portal.models import (
    ArticleFeedback,
    ArticleView,
    Callback,
    Case,
    CaseEvent,
    Customer,
    Order,
    OutboxRow,
    SearchLog,
    Staff,
    Survey,
    SurveyAnswer,
    utcnow,
)

COUNTED = (Customer, Order, Case, CaseEvent, Survey, SurveyAnswer, SearchLog, ArticleView, ArticleFeedback, Callback,
           OutboxRow)


def counts():
    return {model: _db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def queue_references():
    agent = _db.session.scalar(select(Staff).where(Staff.email == demo.DEMO_STAFF[0].email))
    cases, _more = queue(agent, QueueFilters(), utcnow(), limit=100)
    return sorted(case.reference for case in cases)


def default_dashboard(app):
    today = utcnow().date()
    period = metrics.parse_period("", "", today, app.config["LEAD_DASHBOARD_DAYS"])
    return metrics.dashboard(metrics.Filters(period))["tables"]


def test_seed_demo_fills_every_figure_of_the_lead_dashboard(app, db):
    demo.seed_demo()

    tables = default_dashboard(app)

    summary = dict(tables["survey_summary"].rows)
    assert 3.5 <= summary["csat_average"] <= 5
    assert 50 <= summary["response_rate_percent"] < 100
    assert summary["nps"] is not None and summary["ces_average"] is not None
    by_urgency = tables["times_by_urgency"]
    assert all(by_urgency.column("first_response_median_min"))
    assert all(by_urgency.column("resolution_median_h"))
    assert [row[0] for row in tables["times_by_agent"].rows] == ["Amy Agent"]
    assert dict(tables["self_service"].rows)["self_service_percent"] > 0
    assert len(tables["top_categories"].rows) >= 8
    assert tables["top_scenarios"].rows
    assert len(tables["zero_result_searches"].rows) >= 5
    assert [row[0] for row in tables["flagged_articles"].rows] == ["parcel-marked-delivered-not-here"]
    assert {row[0] for row in tables["csat_by_lateness"].rows if row[1]} == {"late", "on_time"}
    comments = tables["survey_comments"].column("comment")
    assert any(text.isascii() for text in comments) and any(not text.isascii() for text in comments)
    assert [row[0] for row in tables["complaint_spikes"].rows] == ["late_or_lost"]
    assert tables["open_callbacks"].rows


def test_service_history_is_resolved_plausible_and_added_once(app, db, monkeypatch):
    # The demo as it was before the history existed: its queue and its outbox are what the history must keep.
    monkeypatch.setattr(demo, "seed_service_history", lambda customers, now=None: 0)
    demo.seed_demo()
    before_queue, before = queue_references(), counts()
    monkeypatch.undo()

    demo.seed_demo()
    after = counts()
    demo.seed_demo()

    assert counts() == after
    assert queue_references() == before_queue and len(before_queue) == 2  # the two urgent complaints
    assert after[OutboxRow] == before[OutboxRow]  # no e-mail to the history's customers
    history = db.session.scalars(select(Case).where(Case.reference.like("H-%"))).all()
    assert 60 <= len(history) <= 90
    assert {case.kind for case in history} == {"return", "exchange", "repair", "complaint"}
    assert {item.category for case in history if case.kind == "repair" for item in case.order.items} == {
        "electronics"}
    assert {case.urgency for case in history} == {"high", "medium", "low"}
    demo_emails = [email for email, *_ in demo.DEMO_CUSTOMERS]
    assert not any(case.customer.email in demo_emails for case in history)
    now = utcnow()
    for case in history:
        assert case.created_at > now - timedelta(days=30)
        if case.resolved_at is not None:
            assert case.created_at < case.resolved_at < now
        if case.escalated:
            assert case.resolved_at is not None and case.assignee.email == demo.DEMO_STAFF[0].email
            assert case.created_at < case.first_response_at <= case.resolved_at
            assert case.first_response_breached == (case.first_response_at > case.first_response_due)
            assert case.resolution_breached == (case.resolved_at > case.resolution_due)
    assert any(case.first_response_breached or case.resolution_breached for case in history)
    answers = db.session.scalars(select(SurveyAnswer)).all()
    assert {answer.score for answer in answers} <= {1, 2, 3, 4, 5}
    assert all(answer.answered_at < now for answer in answers)


def test_only_the_designed_urgent_demo_complaints_escalate(app, db):
    demo.seed_demo()

    complaints = {case.description: case for case in db.session.scalars(
        select(Case).where(Case.kind == "complaint", ~Case.reference.like("H-%")))}
    escalated = {text for text, case in complaints.items() if case.escalated}

    assert escalated == {text for _i, _s, category, _o, text in demo.DEMO_COMPLAINTS
                         if category in ("late_or_lost", "damaged_or_unsafe")}
    headphones = next(case for text, case in complaints.items() if "headphones" in text)
    assert (headphones.urgency, headphones.angry) == ("medium", False)
