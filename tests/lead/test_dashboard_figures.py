"""Every dashboard figure against a hand-computed fixture: 7 answered surveys, 5 escalated cases, known times.

Each figure test runs twice: with every day counted live, and with the days read from their roll-ups.
"""

import re
from datetime import date, timedelta

import pytest

from portal.lead import metrics
from tests.agent.helpers import make_case, sign_in_staff
from tests.lead.helpers import NOW, PERIOD, build_rollups


@pytest.fixture(params=["live", "rolled_up"])
def fixture_world(request, world):
    if request.param == "rolled_up":
        build_rollups()
    return world


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


def test_top_scenarios_of_the_article_read_before_filing(fixture_world):
    assert metrics.top_scenarios(PERIOD).rows == [["wrong-size", 2, 0, None], ["broken-item", 1, 1, 0.0]]


def test_zero_result_searches_are_counted_whatever_their_case(fixture_world):
    assert metrics.zero_result_searches(PERIOD).rows == [["gift wrap", "en", 2]]


def test_late_orders_and_the_csat_of_their_customers(fixture_world):
    late, total = metrics.late_orders(PERIOD, NOW)
    assert total == 1
    assert late.rows[0][0] == fixture_world["cases"]["A"].order.number
    assert _rows(metrics.csat_by_lateness(PERIOD, NOW)) == {"late": [1, 5.0, 100.0], "on_time": [1, 4.0, 100.0]}


def test_things_to_act_on(fixture_world):
    failed = metrics.failed_notifications(PERIOD)
    # What the job was about and why it failed, never its key or the error's text.
    assert [row[:3] for row in failed.rows] == [[fixture_world["cases"]["A"].reference, "case.notify", 4]]
    assert failed.rows[0][4] == "mail"
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
                   "gift wrap", "The mail server refused it or could not be reached", "<svg"):
        assert figure in html, figure


def test_the_page_shows_moments_to_the_minute_while_the_csv_keeps_them_whole(client, lead, fixture_world):
    sign_in_staff(client, lead)
    period = {"from": "2026-01-01", "to": "2026-01-30"}
    html = client.get("/lead", query_string=period).get_data(as_text=True)
    late = html[html.index('id="table-late_orders"'):]
    late = late[:late.index("</table>")]
    csv_text = client.get("/lead/export/late_orders.csv", query_string=period).get_data(as_text=True)

    assert "<td>2026-01-05 09:00</td>" in late and "<td>2026-01-07 09:00</td>" in late
    assert "2026-01-05T09:00:00+00:00" not in late
    assert "2026-01-05T09:00:00+00:00,2026-01-07T09:00:00+00:00" in csv_text
    assert "Late orders (1)" in html and "first 50 of" not in html.split('id="table-late_orders"')[0][-300:]
    assert "On-time orders" in html
    callbacks = html[html.index('id="table-open_callbacks"'):]
    callbacks = callbacks[:callbacks.index("</table>")]
    # A moment in the first column (the callback's due time) is shortened too.
    assert re.search(r'<th scope="row">\d{4}-\d{2}-\d{2} \d{2}:\d{2}</th>', callbacks)


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
