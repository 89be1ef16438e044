"""The lead tests' world: every figure of the dashboard is known by hand for it."""

from datetime import UTC, datetime, timedelta

import pytest

from portal.models import Article, Callback, OutboxRow, SearchLog, Survey, SurveyAnswer
from tests.agent.helpers import make_case
from tests.lead.helpers import at


@pytest.fixture
def world(db, make_customer, make_order, make_staff):
    """7 answered surveys, 5 escalated cases with known times, 4 self-served cases, searches, callbacks."""
    agent1, agent2 = make_staff("agent"), make_staff("agent")
    agent1.name, agent2.name = "Ann", "Bob"
    db.session.commit()
    sla_first = {"high": timedelta(minutes=10), "medium": timedelta(hours=1), "low": timedelta(hours=24)}
    sla_resolution = {"high": timedelta(hours=24), "medium": timedelta(hours=24), "low": timedelta(hours=72)}

    def escalated(day, urgency, agent, first_minutes, resolved_hours, category, order=None):
        created = at(day)
        return make_case(
            make_customer(), order, urgency=urgency, category=category, created_at=created,
            assignee_id=agent.id if agent else None, status="resolved" if resolved_hours else "answered",
            first_response_due=created + sla_first[urgency], resolution_due=created + sla_resolution[urgency],
            first_response_at=created + timedelta(minutes=first_minutes),
            resolved_at=created + timedelta(hours=resolved_hours) if resolved_hours else None)

    late_customer = make_customer()
    late_order = make_order(customer=late_customer, ship_by=at(5), shipped_at=at(7), placed_at=at(3),
                            status="delivered")
    on_time_customer = make_customer()
    on_time_order = make_order(customer=on_time_customer, ship_by=at(5), shipped_at=at(4), placed_at=at(3),
                               status="delivered")
    cases = {
        "A": escalated(10, "high", agent1, 5, 10, "damaged", late_order),
        "B": escalated(11, "high", agent1, 20, 30, "damaged"),
        "C": escalated(12, "high", agent2, 8, 20, "late", on_time_order),
        "D": escalated(13, "medium", agent2, 30, 5, "late"),
        "E": escalated(14, "low", None, 120, None, "damaged"),
    }

    # The articles read last before filing, for the top scenarios.
    size_guide, kettle = (Article(slug=slug, locale="en", title=slug, body="Body", category="orders-shipping",
                                  scenario=scenario) for slug, scenario in (("size-guide", "wrong-size"),
                                                                            ("kettle-care", "broken-item")))
    db.session.add_all([size_guide, kettle])
    db.session.commit()

    def self_served(day, kind, status, category, article=None):
        return make_case(make_customer(), None, kind=kind, status=status, escalated=False, escalated_at=None,
                         category=category, created_at=at(day), urgency="low",
                         source_article_id=article.id if article else None,
                         resolved_at=at(day, 10) if status in ("resolved", "approved") else None)

    cases["F"] = self_served(15, "return", "approved", "size", size_guide)
    cases["G"] = self_served(16, "complaint", "resolved", "late")
    cases["H"] = self_served(17, "return", "resolved", "size", size_guide)
    cases["I"] = self_served(18, "complaint", "acknowledged", "damaged", kettle)
    # The previous 30 days: two "damaged" cases, for the change against the previous period.
    make_case(make_customer(), category="damaged", created_at=datetime(2025, 12, 10, tzinfo=UTC), status="closed",
              source_article_id=kettle.id)
    make_case(make_customer(), category="damaged", created_at=datetime(2025, 12, 20, tzinfo=UTC), status="closed")

    answers = [  # case, score, nps, ces, comment, answered on day
        ("A", 5, 10, 1, "Great, thank you", 20),
        ("B", 5, 9, 2, "", 20),
        ("C", 4, 8, 2, "", 21),
        ("D", 3, 7, 3, "", 22),
        ("F", 2, 3, 5, "=cmd|' /C calc'!A0", 23),
        ("G", 1, 0, 7, "Nobody listened", 24),
        ("H", 5, 10, 1, "", 24),
    ]
    for key, score, nps, ces, comment, day in answers:
        survey = Survey(case_id=cases[key].id, customer_id=cases[key].customer_id, sent_at=at(day, 8))
        db.session.add(survey)
        db.session.flush()
        db.session.add(SurveyAnswer(survey_id=survey.id, score=score, nps=nps, ces=ces, comment=comment,
                                    answered_at=at(day, 12)))
    db.session.add(Survey(case_id=cases["I"].id, customer_id=cases["I"].customer_id, sent_at=at(25)))
    for n, (query, hits, deflected) in enumerate([("refund", 3, True), ("where is my order", 5, True),
                                                  ("return label", 2, True), ("warranty", 4, False),
                                                  ("gift wrap", 0, False), ("Gift wrap", 0, False)]):
        db.session.add(SearchLog(query=query, locale="en", hits=hits, deflected=deflected, session_id=f"s{n}",
                                 created_at=at(5 + n)))
    db.session.add_all([
        Callback(case_id=cases["G"].id, customer_id=cases["G"].customer_id, reason="rated 1", phone="+1",
                 due_at=at(25)),
        Callback(case_id=cases["F"].id, customer_id=cases["F"].customer_id, reason="rated 2", phone="+1",
                 due_at=at(24), status="done"),
        OutboxRow(key=f"case:{cases['A'].id}:event:1", job_name="case.notify", args=[cases["A"].id, 1],
                  status="failed", attempts=4, created_at=at(20),
                  last_error="Traceback...\nSMTPServerDisconnected: gone"),
        OutboxRow(key="case:1:event:2", job_name="case.notify", args=[1, 2], status="done", created_at=at(20)),
    ])
    db.session.commit()
    return {"cases": cases, "agents": (agent1, agent2)}
