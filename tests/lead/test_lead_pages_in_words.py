"""Issue 21, point 9: the lead's pages in words (chart labels that never meet, categories named), the previous
period compared only when there is history, and the comments readers leave with "No" shown per article."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from portal.lead import charts, metrics
from portal.models import Article, ArticleFeedback, utcnow
from tests.agent.helpers import make_case, sign_in_staff
from tests.e2e.checks import SNAKE_CASE

TAG = re.compile(r"<[^>]*>")


@pytest.fixture
def signed_in(client, lead):
    sign_in_staff(client, lead)
    return client


def _visible_text(html):
    body = html.split("<body", 1)[1]
    return TAG.sub(" ", re.sub(r"<(script|style|title)\b.*?</\1>", " ", body, flags=re.S))


def _cases(make_customer, categories, days_ago):
    for category in categories:
        make_case(make_customer(), category=category, created_at=utcnow() - timedelta(days=days_ago))


def test_category_bars_have_one_row_each_and_their_labels_in_words(signed_in, make_customer):
    _cases(make_customer, ["no_reason", "wrong_item", "late_or_lost", "damaged_or_unsafe", "allergy_or_injury"], 3)

    english = signed_in.get("/lead").get_data(as_text=True)
    chart = english.split('aria-labelledby="cat-chart-title"', 1)[1].split("</svg>", 1)[0]
    labels = re.findall(r'<text class="axis" x="0" y="([\d.]+)">([^<]+)</text>', chart)
    assert {text for _y, text in labels} >= {"I changed my mind", "My order is late or lost"}
    assert len({y for y, _text in labels}) == len(labels) == 5  # a row each: no two labels share a line
    signed_in.post("/locale", data={"locale": "zh", "next": "/"})
    chinese = signed_in.get("/lead").get_data(as_text=True)
    for page in (english, chinese):
        assert SNAKE_CASE.findall(_visible_text(page)) == []


def test_long_labels_are_shortened_to_their_column():
    rows, height = charts.rows(["The product arrived damaged or is unsafe and more words", "退款" * 40], [4, 2])
    assert all(row.label.endswith("…") for row in rows)
    assert rows[1].y - rows[0].y == charts.ROW_HEIGHT and height == charts.PAD_TOP + 2 * charts.ROW_HEIGHT


def test_every_coded_column_of_the_dashboard_is_in_words(signed_in, db, make_customer):
    from portal.models import Callback, OutboxRow, Survey, SurveyAnswer

    case = make_case(make_customer(), category="double_charge", urgency="medium",
                     created_at=utcnow() - timedelta(days=2))
    survey = Survey(case_id=case.id, customer_id=case.customer_id, sent_at=utcnow() - timedelta(days=1))
    db.session.add(survey)
    db.session.flush()
    db.session.add_all([
        SurveyAnswer(survey_id=survey.id, score=1, nps=0, ces=7, comment="Charged twice still",
                     answered_at=utcnow() - timedelta(hours=20)),
        Callback(case_id=case.id, customer_id=case.customer_id, reason="low_rating", phone="+1",
                 due_at=utcnow() + timedelta(hours=2)),
        OutboxRow(key="case:9:event:9", job_name="case.notify", args=[9, 9], status="failed", attempts=4,
                  created_at=utcnow() - timedelta(days=1), last_error="SMTPServerDisconnected: gone"),
    ])
    db.session.commit()

    text = _visible_text(signed_in.get("/lead").get_data(as_text=True))
    assert "I was charged twice" in text and "Low survey rating" in text and "Case update e-mail" in text
    assert SNAKE_CASE.findall(text) == []


def test_the_previous_period_is_counted_from_history(signed_in, make_customer):
    _cases(make_customer, ["late_or_lost", "late_or_lost"], 3)
    _cases(make_customer, ["late_or_lost"], 40)  # the 30 days before the default range

    table = metrics.top_categories(metrics.parse_period("", "", utcnow().date(), 30))
    assert table.rows == [["late_or_lost", 2, 1, 100.0]]
    page = signed_in.get("/lead").get_data(as_text=True)
    assert "no previous period to compare" not in page


def test_without_history_the_previous_period_is_unknown_not_zero(signed_in, make_customer):
    _cases(make_customer, ["late_or_lost"], 3)

    table = metrics.top_categories(metrics.parse_period("", "", utcnow().date(), 30))
    assert table.rows == [["late_or_lost", 1, None, None]]
    page = signed_in.get("/lead").get_data(as_text=True)
    assert "no previous period to compare with yet" in page


@pytest.fixture
def voted_article(db):
    article = Article(slug="returns-window", locale="en", title="How long can I return?", body="30 days.",
                      category="returns-exchanges", helpful_count=3, unhelpful_count=7, view_count=40)
    db.session.add(article)
    db.session.flush()
    now = utcnow()
    for n, comment in enumerate(["It does not say who pays the postage", "", "<script>alert(1)</script>",
                                 "=HYPERLINK(\"http://evil\")"]):
        db.session.add(ArticleFeedback(article_id=article.id, visitor_id=f"v{n}", helpful=False, comment=comment,
                                       created_at=now - timedelta(hours=n + 1)))
    db.session.add(ArticleFeedback(article_id=article.id, visitor_id="old", helpful=False, comment="Too old",
                                   created_at=datetime(2020, 1, 1, tzinfo=UTC)))
    db.session.commit()
    return article


def test_no_comments_are_listed_per_article_with_the_helpful_ratio(signed_in, voted_article):
    page = signed_in.get("/lead").get_data(as_text=True)
    section = page.split('id="table-unhelpful_articles"', 1)[1].split("</table>", 1)[0]
    assert "How long can I return?" in section and "<td>4</td>" in section and "<td>30.0</td>" in section
    assert "“It does not say who pays the postage”" in section
    assert "&lt;script&gt;" in section and "<script>alert" not in section
    assert "Too old" not in section  # outside the range


def test_the_article_editor_and_the_knowledge_list_show_what_readers_said(signed_in, voted_article):
    editor = signed_in.get(f"/lead/articles/{voted_article.id}").get_data(as_text=True)
    assert "What readers said" in editor and "3 of 10 helpful (30 %)" in editor
    assert "It does not say who pays the postage" in editor and "Too old" in editor
    assert editor.index("It does not say") < editor.index("Too old")  # newest first
    listing = signed_in.get("/lead/knowledge").get_data(as_text=True)
    assert "3 of 10 helpful (30 %)" in listing and "Returns and exchanges" in listing
    assert ">returns-exchanges<" not in listing and "<td>en</td>" not in listing


def test_the_unhelpful_articles_csv_keeps_comments_as_text(signed_in, voted_article):
    response = signed_in.get("/lead/export/unhelpful_articles.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["slug", "title", "no_votes", "helpful_percent", "comments"]
    assert rows[1][:4] == ["returns-window", "How long can I return?", "4", "30.0"]
    assert "who pays the postage" in rows[1][4] and not rows[1][4].startswith("=")


def test_the_new_table_and_the_editor_feedback_are_for_leads_only(client, agent, voted_article):
    assert client.get("/lead/export/unhelpful_articles.csv").status_code in (302, 303)
    sign_in_staff(client, agent)
    assert client.get("/lead/export/unhelpful_articles.csv").status_code == 403
    assert client.get(f"/lead/articles/{voted_article.id}").status_code == 403


@pytest.mark.parametrize("query", ["from=2026-13-01", "from=x&to=%00", "to=" + "9" * 300])
def test_hostile_ranges_on_the_new_table_are_refused_cleanly(signed_in, voted_article, query):
    assert signed_in.get(f"/lead/export/unhelpful_articles.csv?{query}").status_code == 400
