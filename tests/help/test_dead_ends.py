"""The help center has no dead ends: a person or an order lookup after a failed search or a "No", the
categories the no-result page promises, more than ten results, nested lists and "see *Title*" links."""

from portal.help.views import render_markdown
from portal.models import Article
from tests.help.conftest import faq  # noqa: F401  (the indexed FAQ corpus)


def test_a_search_with_no_result_offers_the_categories_a_person_and_the_order_lookup(client, faq):  # noqa: F811
    page = client.get("/help/search", query_string={"q": "zxqv purple elephant"}).text

    assert "No articles match" in page
    assert 'class="category-grid"' in page and "/help/orders-shipping" in page
    assert "/complaints/new?description=zxqv+purple+elephant" in page
    assert "/orders/track" in page


def test_a_no_vote_offers_a_person_with_the_article_named(client, db, faq):  # noqa: F811
    article = db.session.scalar(db.select(Article).where(Article.locale == "en"))

    answer = client.post(f"/help/a/{article.slug}/feedback", data={"helpful": "no"}, headers={"HX-Request": "true"})

    assert "Still need help?" in answer.text
    assert "/complaints/new?description=" in answer.text
    assert "/orders/track" in answer.text


def test_more_than_ten_results_can_be_shown(client, faq):  # noqa: F811
    first = client.get("/help/search", query_string={"q": "order"}).text
    assert first.count('class="result"') == 10
    assert "shown=20" in first

    more = client.get("/help/search", query_string={"q": "order", "shown": "20"}).text

    assert more.count('class="result"') > 10


def test_a_hostile_shown_value_is_bounded(client, faq):  # noqa: F811
    for hostile in ("-5", "0", "100000", "abc"):
        page = client.get("/help/search", query_string={"q": "order", "shown": hostile})
        assert page.status_code == 200
        assert page.text.count('class="result"') <= 50


def test_a_list_nested_by_two_or_three_spaces_stays_nested(app):
    html = render_markdown("1. Choose:\n   - a replacement, or\n   - a refund.\n2. Send it.\n\n- Top\n  - inner\n")

    assert "<li>Choose:<ul>" in html
    assert "<li>Top<ul>" in html


def test_an_emphasised_article_title_becomes_a_link_in_the_same_language(client, db, faq):  # noqa: F811
    target = db.session.scalar(db.select(Article).where(Article.locale == "en"))

    with client.application.test_request_context():
        html = render_markdown(f"If it is late, see *{target.title}*. See *Not an article title*.", "en")

    assert f'<a href="/help/a/{target.slug}"><em>' not in html
    assert f'<a href="/help/a/{target.slug}">{target.title}</a>' in html
    assert "<em>Not an article title</em>" in html


def test_the_complaint_form_takes_what_was_searched(client, customer):
    from tests.orders.helpers import sign_in_as
    sign_in_as(client, customer)

    page = client.get("/complaints/new", query_string={"description": "my parcel is stuck in customs"}).text

    assert "my parcel is stuck in customs</textarea>" in page
