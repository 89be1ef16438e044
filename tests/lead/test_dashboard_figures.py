"""Every dashboard figure against a hand-computed fixture: 7 answered surveys, 5 escalated cases, known times."""

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.lead import metrics
from portal.models import Callback, OutboxRow, SearchLog, Survey, SurveyAnswer
from tests.agent.helpers import make_case, sign_in_staff

NOW = datetime(2026, 1, 31, tzinfo=UTC)
PERIOD = metrics.Period(date(2026, 1, 1), date(2026, 1, 30))


def at(day, hour=9):
    return datetime(2026, 1, day, hour, tzinfo=UTC)


@pytest.fixture
def fixture_world(db, make_customer, make_order, make_staff):
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

    def self_served(day, kind, status, category):
        return make_case(make_customer(), None, kind=kind, status=status, escalated=False, escalated_at=None,
                         category=category, created_at=at(day), urgency="low",
                         resolved_at=at(day, 10) if status in ("resolved", "approved") else None)

    cases["F"] = self_served(15, "return", "approved", "size")
    cases["G"] = self_served(16, "complaint", "resolved", "late")
    cases["H"] = self_served(17, "return", "resolved", "size")
    cases["I"] = self_served(18, "complaint", "acknowledged", "damaged")
    # The previous 30 days: two "damaged" cases, for the change against the previous period.
    make_case(make_customer(), category="damaged", created_at=datetime(2025, 12, 10, tzinfo=UTC), status="closed")
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
        OutboxRow(key="case:1:event:1", job_name="case.notify", args=[1, 1], status="failed", attempts=4,
                  created_at=at(20), last_error="Traceback...\nSMTPServerDisconnected: gone"),
        OutboxRow(key="case:1:event:2", job_name="case.notify", args=[1, 2], status="done", created_at=at(20)),
    ])
    db.session.commit()
    return {"cases": cases, "agents": (agent1, agent2)}


def _rows(table):
    return {row[0]: row[1:] for row in table.rows}


def test_survey_figures_equal_the_hand_computed_values(fixture_world):
    distribution, summary = metrics.csat_summary(PERIOD)
    assert distribution.rows == [[1, 1, 14.3], [2, 1, 14.3], [3, 1, 14.3], [4, 1, 14.3], [5, 3, 42.9]]
    assert dict(summary.rows) == {
        "answers": 7, "csat_average": 3.57, "csat_percent_4_5": 57.1,
        "nps": 14.3,  # 3 promoters (10, 9, 10), 2 detractors (3, 0) of 7
        "ces_average": 3.0,  # (1+2+2+3+5+7+1) / 7
        "surveys_sent": 8, "surveys_answered": 7, "response_rate_percent": 87.5,
    }


def test_csat_per_day(fixture_world):
    daily = {row[0]: row[1:] for row in metrics.csat_daily(PERIOD).rows}
    assert len(daily) == 30
    assert daily["2026-01-20"] == [2, 5.0, 100.0]
    assert daily["2026-01-24"] == [2, 3.0, 50.0]
    assert daily["2026-01-23"] == [1, 2.0, 0.0]
    assert daily["2026-01-01"] == [0, None, None]


def test_response_and_resolution_times_per_urgency(fixture_world):
    by_urgency, _by_agent = metrics.response_times(PERIOD)
    rows = _rows(by_urgency)
    # high: first responses 5, 20, 8 min (20 breaches 10 min); resolutions 10, 30, 20 h (30 breaches 24 h).
    assert rows["high"] == [3, 8.0, 20.0, 66.7, 3, 20.0, 30.0, 66.7]
    assert rows["medium"] == [1, 30.0, 30.0, 100.0, 1, 5.0, 5.0, 100.0]
    assert rows["low"] == [1, 120.0, 120.0, 100.0, 0, None, None, None]


def test_response_and_resolution_times_per_agent(fixture_world):
    _by_urgency, by_agent = metrics.response_times(PERIOD)
    rows = _rows(by_agent)
    assert rows["Ann"] == [2, 12.5, 20.0, 50.0, 2, 20.0, 30.0, 50.0]
    assert rows["Bob"] == [2, 19.0, 30.0, 100.0, 2, 12.5, 20.0, 100.0]
    assert rows["unassigned"] == [1, 120.0, 120.0, 100.0, 0, None, None, None]


def test_self_service_rate(fixture_world):
    assert dict(metrics.self_service(PERIOD).rows) == {
        "deflected_searches": 3, "returns_approved_without_agent": 2, "complaints_resolved_without_agent": 1,
        "escalated_cases": 5, "open_not_escalated": 1, "contacts": 12, "self_service_percent": 50.0,
        "escalated_percent": 41.7,
    }


def test_top_categories_with_change_against_the_previous_period(fixture_world):
    assert metrics.top_categories(PERIOD).rows == [
        ["damaged", 4, 2, 100.0], ["late", 3, 0, None], ["size", 2, 0, None]]


def test_zero_result_searches_are_counted_whatever_their_case(fixture_world):
    assert metrics.zero_result_searches(PERIOD).rows == [["gift wrap", "en", 2]]


def test_late_orders_and_the_csat_of_their_customers(fixture_world):
    late, total = metrics.late_orders(PERIOD, NOW)
    assert total == 1
    assert late.rows[0][0] == fixture_world["cases"]["A"].order.number
    assert _rows(metrics.csat_by_lateness(PERIOD, NOW)) == {"late": [1, 5.0, 100.0], "on_time": [1, 4.0, 100.0]}


def test_things_to_act_on(fixture_world):
    failed = metrics.failed_notifications(PERIOD)
    assert [row[:3] for row in failed.rows] == [["case:1:event:1", "case.notify", 4]]
    assert failed.rows[0][4] == "SMTPServerDisconnected: gone"
    churn = metrics.churn_risks(PERIOD, NOW)
    assert sorted(row[3] for row in churn.rows) == [1, 2]
    callbacks, total = metrics.open_callbacks()
    assert total == 1 and callbacks.rows[0][2] == "rated 1"


def test_survey_comments_filter_by_score_and_category(fixture_world):
    everything = metrics.survey_comments(metrics.Filters(PERIOD))
    assert [row[1] for row in everything.rows] == [1, 2, 5]
    assert everything.rows[2][2:5] == [fixture_world["cases"]["A"].reference, "damaged", "Ann"]
    assert [row[5] for row in metrics.survey_comments(metrics.Filters(PERIOD, score=2)).rows] == [
        "=cmd|' /C calc'!A0"]
    assert [row[1] for row in metrics.survey_comments(metrics.Filters(PERIOD, category="late")).rows] == [1]


def test_the_page_shows_the_same_figures(client, lead, fixture_world):
    sign_in_staff(client, lead)
    html = client.get("/lead", query_string={"from": "2026-01-01", "to": "2026-01-30"}).get_data(as_text=True)
    for figure in ("3.57", "57.1 %", "14.3", "87.5 %", "50.0 %", "Great, thank you", "Nobody listened",
                   "gift wrap", "SMTPServerDisconnected: gone", "<svg"):
        assert figure in html, figure


def test_the_csv_export_has_the_same_rows_and_neutralises_formulas(client, lead, fixture_world):
    sign_in_staff(client, lead)
    response = client.get("/lead/export/survey_comments.csv",
                          query_string={"from": "2026-01-01", "to": "2026-01-30", "score": "2"})
    text = response.get_data(as_text=True)
    assert response.headers["Content-Disposition"].endswith('survey_comments_2026-01-01_2026-01-30.csv"')
    lines = text.strip().splitlines()
    assert lines[0] == "answered_at,score,case,category,agent,comment"
    assert len(lines) == 2
    assert "'=cmd" in lines[1]
    times = client.get("/lead/export/times_by_urgency.csv",
                       query_string={"from": "2026-01-01", "to": "2026-01-30"}).get_data(as_text=True)
    assert "high,3,8.0,20.0,66.7,3,20.0,30.0,66.7" in times


def test_a_complaint_spike_is_raised_above_three_times_the_daily_average(db, make_customer):
    now = NOW
    for day in range(1, 15):  # 14 baseline days: one "allergy" complaint every other day -> 0.5 a day
        if day % 2:
            make_case(make_customer(), category="allergy", created_at=now - timedelta(days=day, hours=2))
    for hours in (1, 2):
        make_case(make_customer(), category="allergy", created_at=now - timedelta(hours=hours))
    assert metrics.complaint_spikes(now).rows == [], "2 is above 3 x 0.5, but below the minimum of 3"
    make_case(make_customer(), category="allergy", created_at=now - timedelta(hours=3))
    make_case(make_customer(), category="late", created_at=now - timedelta(hours=3))
    assert metrics.complaint_spikes(now).rows == [["allergy", 3, 0.5, 6.0]]
    returns_do_not_count = make_case(make_customer(), kind="return", category="late",
                                     created_at=now - timedelta(hours=1))
    assert returns_do_not_count.kind == "return"
    assert [row[0] for row in metrics.complaint_spikes(now).rows] == ["allergy"]


def test_the_spike_alarm_is_at_the_top_of_the_dashboard(client, lead, make_customer):
    from portal.models import utcnow

    for hours in (1, 2, 3, 4):
        make_case(make_customer(), category="allergy", created_at=utcnow() - timedelta(hours=hours))
    sign_in_staff(client, lead)
    html = client.get("/lead").get_data(as_text=True)
    assert 'role="alert"' in html
    assert html.index("Complaint spike") < html.index("Service dashboard")


@pytest.mark.parametrize("args", [{"from": "2026-13-01"}, {"from": "2026-02-01", "to": "2026-01-01"},
                                  {"from": "2020-01-01", "to": "2026-01-01"}, {"to": "<script>"}])
def test_a_bad_range_gets_a_message_and_the_default_range(client, lead, args):
    sign_in_staff(client, lead)
    response = client.get("/lead", query_string=args)
    assert response.status_code == 400
    assert b"notice-warning" in response.data
    assert b"<script>" not in response.data
    assert client.get("/lead/export/csat_daily.csv", query_string=args).status_code == 400


def test_an_unknown_export_is_a_404(client, lead):
    sign_in_staff(client, lead)
    assert client.get("/lead/export/customers.csv").status_code == 404


def test_cases_outside_the_range_are_not_counted(fixture_world):
    later = metrics.Period(date(2026, 2, 1), date(2026, 2, 28))
    assert dict(metrics.csat_summary(later)[1].rows)["answers"] == 0
    assert metrics.top_categories(later).rows == []
