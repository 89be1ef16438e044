"""The help pages, as a browser without JavaScript and as htmx see them."""

import re

import pytest
from flask import url_for
from sqlalchemy import select

from portal.models import Article, ArticleFeedback, SearchLog

HX = {"HX-Request": "true"}
HOSTILE_QUERIES = ["", " ", "x" * 10_000, "*", "AND OR NOT (", '"unbalanced', "'", "🙂📦💸",
                   "<script>alert(1)</script>", "locale:zh", "title:*", "\x00refund", "%", "_", "((((",
                   "refund^9999", "😀" * 500]


def _results_region(html):
    return html.split('id="search-results"', 1)[1]


def test_help_home_lists_categories_with_counts_and_popular_articles(client, faq, db):
    article = db.session.scalar(select(Article).where(Article.slug == "lost-parcel"))
    article.view_count = 50
    db.session.commit()

    page = client.get("/help/").get_data(as_text=True)

    assert 'href="/help/orders-shipping"' in page
    assert re.search(r"Orders and shipping</a>\s*<span class=\"count\">\d+ articles", page)
    assert "Most read" in page and "/help/a/lost-parcel" in page
    # Typing asks for results marked as typed; Enter submits the form, which searches the whole text.
    assert 'hx-trigger="input changed delay:200ms" hx-vals=\'{"typing": "1"}\'' in page


def test_help_home_in_chinese_counts_chinese_articles(client, faq):
    page = client.get("/help/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)

    assert "/help/a/zh-" in page


def test_search_page_shows_results_with_title_snippet_and_category(client, faq):
    response = client.get("/help/search?q=refund+not+recieved")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in page
    assert "Refund issued but not in your account" in page
    assert "<mark>" in page
    assert "Refunds and payments" in page
    assert 'aria-live="polite"' in page
    assert "HX-Request" in response.headers["Vary"]


def test_search_fragment_for_htmx_is_only_the_results(client, faq):
    response = client.get("/help/search?q=refund", headers=HX)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in page and "<ol class=\"results\">" in page
    assert "HX-Request" in response.headers["Vary"]


def test_an_empty_search_page_shows_the_box_and_no_results(client, faq):
    page = client.get("/help/search").get_data(as_text=True)

    assert 'id="help-q"' in page and "No articles match" not in page


def test_a_search_with_no_hits_says_so(client, faq):
    page = client.get("/help/search?q=zzqqxx").get_data(as_text=True)

    assert "No articles match “zzqqxx”" in page


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_hostile_queries_get_a_normal_results_page_that_echoes_nothing_unescaped(client, faq, query, headers):
    response = client.get("/help/search", query_string={"q": query}, headers=headers)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert" not in page
    # The search box and results show at most the 200 characters searched for.
    results = page.split('id="help-q"', 1)[-1] if headers == {} else page
    assert "x" * 201 not in results


def test_hostile_queries_are_logged_cut_to_size(client, faq, db):
    client.get("/help/search", query_string={"q": "y" * 10_000})

    entry = db.session.scalar(select(SearchLog))
    assert entry.query == "y" * 200


def test_every_search_is_logged_with_locale_hits_and_session(client, faq, db):
    client.get("/help/search?q=refund")

    entry = db.session.scalar(select(SearchLog))
    assert (entry.query, entry.locale) == ("refund", "en")
    assert entry.hits > 0 and entry.session_id


def test_typing_a_search_letter_by_letter_keeps_one_log_row(client, faq, db):
    for prefix in ["ref", "refu", "refun", "refund"]:
        client.get(f"/help/search?q={prefix}", headers=HX)

    entries = db.session.scalars(select(SearchLog)).all()
    assert [e.query for e in entries] == ["refund"]


def test_opening_a_result_records_the_clicked_slug(client, faq, db):
    page = client.get("/help/search?q=refund+not+recieved").get_data(as_text=True)
    link = re.search(r'href="(/help/a/refund-not-received\?s=\d+)"', page).group(1)

    assert client.get(link).status_code == 200

    db.session.expire_all()
    assert db.session.scalar(select(SearchLog)).clicked_slug == "refund-not-received"


def test_a_click_cannot_be_recorded_on_another_visitors_search(app, client, faq, db):
    client.get("/help/search?q=refund")
    entry = db.session.scalar(select(SearchLog))

    app.test_client().get(f"/help/a/refund-timing?s={entry.id}")

    db.session.expire_all()
    assert db.session.get(SearchLog, entry.id).clicked_slug is None


def test_category_page_lists_its_articles_and_unknown_categories_are_404(client, faq):
    page = client.get("/help/refunds-payments").get_data(as_text=True)

    assert "/help/a/refund-timing" in page
    assert client.get("/help/not-a-category").status_code == 404
    assert client.get("/help/<script>").status_code == 404


def test_article_page_renders_markdown_related_articles_and_the_translation(client, faq):
    page = client.get("/help/a/allergic-reaction-cosmetics").get_data(as_text=True)

    assert "<h2>" in page and "<strong>" in page
    assert "/help/a/zh-allergic-reaction-cosmetics" in page
    assert "Read this article in Chinese" in page


def test_the_chinese_article_links_back_to_its_english_source(client, faq):
    page = client.get("/help/a/zh-allergic-reaction-cosmetics").get_data(as_text=True)

    assert 'href="/help/a/allergic-reaction-cosmetics"' in page


def _untranslated_pair(db, same_scenario=True):
    """A Chinese article with no translation and an English one that is, or is not, about the same scenario."""
    db.session.add_all([
        Article(slug="zh-only-broken", locale="zh", title="收到的东西坏了", category="returns-exchanges",
                scenario="arrived-broken", keywords=[], body="拍照后提交申请。"),
        Article(slug="en-broken", locale="en", title="It came broken", category="returns-exchanges",
                scenario="arrived-broken" if same_scenario else "something-else", keywords=[],
                body="Send us a photo."),
    ])
    db.session.commit()


def test_an_untranslated_article_offers_the_readers_article_on_the_same_topic(client, db, faq):
    _untranslated_pair(db)

    page = client.get("/help/a/zh-only-broken").get_data(as_text=True)
    chinese_page = client.get("/help/a/en-broken", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)

    assert "This article is not available in English yet." in page
    assert re.search(r'On the same topic in English:\s*<a href="/help/a/en-broken">It came broken</a>', page)
    assert re.search(r'同一主题的中文文章：\s*<a href="/help/a/zh-only-broken">收到的东西坏了</a>', chinese_page)


def test_an_untranslated_article_with_nothing_on_its_topic_offers_the_help_center(client, db, faq):
    _untranslated_pair(db, same_scenario=False)

    page = client.get("/help/a/zh-only-broken").get_data(as_text=True)

    assert "On the same topic" not in page and "Browse the English help center" in page


def test_article_html_is_sanitised(client, db, faq):
    db.session.add(Article(slug="hostile", locale="en", title="<b>Hostile</b>", category="orders-shipping",
                           scenario="x", keywords=[], body="Hi <script>alert(1)</script> [x](javascript:alert(2))"
                           ' <img src=x onerror="alert(3)"> **bold**'))
    db.session.commit()

    page = client.get("/help/a/hostile").get_data(as_text=True)

    assert "<script>alert" not in page and "javascript:" not in page and "onerror" not in page
    assert "&lt;b&gt;Hostile&lt;/b&gt;" in page and "<strong>bold</strong>" in page


def test_unknown_and_unpublished_articles_are_404(client, db, faq):
    article = db.session.scalar(select(Article).where(Article.slug == "lost-parcel"))
    article.published = False
    db.session.commit()

    assert client.get("/help/a/lost-parcel").status_code == 404
    assert client.get("/help/a/nope").status_code == 404
    assert client.get("/help/a/" + "a" * 5000).status_code == 404


def test_reading_an_article_counts_one_reader_per_visit(client, faq, db):
    client.get("/help/a/lost-parcel")
    client.get("/help/a/lost-parcel")

    db.session.expire_all()
    assert db.session.scalar(select(Article.view_count).where(Article.slug == "lost-parcel")) == 1


def _url(app, endpoint, **values):
    with app.test_request_context():
        return url_for(endpoint, **values)


def test_intent_cards_appear_above_results_when_the_journey_exists(app, client, faq):
    page = client.get("/help/search?q=parcel+arrived+damaged").get_data(as_text=True)

    region = _results_region(page)
    assert "Start a quality return" in region
    assert region.index("Start a quality return") < region.index('class="results"')
    assert f'href="{_url(app, "returns.start", reason="quality")}"' in region


def test_chinese_phrase_kuaidi_budong_offers_order_tracking(app, client, faq):
    page = client.get("/help/search?q=快递不动", headers=HX).get_data(as_text=True)

    assert f'href="{_url(app, "orders.track")}"' in page


def test_voting_yes_without_javascript_redirects_back_and_thanks(client, faq, db):
    response = client.post("/help/a/lost-parcel/feedback", data={"helpful": "yes"})

    assert response.status_code == 302 and response.headers["Location"].endswith("/help/a/lost-parcel#feedback")
    page = client.get("/help/a/lost-parcel").get_data(as_text=True)
    assert "glad it helped" in page
    assert db.session.scalar(select(Article.helpful_count).where(Article.slug == "lost-parcel")) == 1


def test_voting_no_with_htmx_returns_the_comment_box_and_the_action(client, faq, db):
    response = client.post("/help/a/damaged-on-arrival/feedback", data={"helpful": "no"}, headers=HX)

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in page
    assert 'name="comment"' in page and "<label" in page
    assert "Start a quality return" in page
    assert "HX-Request" in response.headers["Vary"]


def test_one_vote_per_visitor_per_article(client, faq, db):
    client.post("/help/a/lost-parcel/feedback", data={"helpful": "no"})
    client.post("/help/a/lost-parcel/feedback", data={"helpful": "yes"})
    client.post("/help/a/lost-parcel/feedback", data={"helpful": "yes"}, headers=HX)

    db.session.expire_all()
    article = db.session.scalar(select(Article).where(Article.slug == "lost-parcel"))
    assert (article.helpful_count, article.unhelpful_count) == (0, 1)
    assert len(db.session.scalars(select(ArticleFeedback)).all()) == 1


def test_bad_vote_values_are_400(client, faq):
    for data in [{}, {"helpful": "maybe"}, {"helpful": "<script>"}]:
        assert client.post("/help/a/lost-parcel/feedback", data=data).status_code == 400
    assert client.post("/help/a/nope/feedback", data={"helpful": "yes"}).status_code == 404
    assert client.get("/help/a/lost-parcel/feedback").status_code == 405


def test_a_comment_after_no_is_kept_without_javascript(client, faq, db):
    client.post("/help/a/lost-parcel/feedback", data={"helpful": "no"})

    response = client.post("/help/a/lost-parcel/comment", data={"comment": "  <b>Say</b> what to do on day 3  "})

    assert response.status_code == 302
    feedback = db.session.scalar(select(ArticleFeedback))
    assert feedback.comment == "<b>Say</b> what to do on day 3"
    page = client.get("/help/a/lost-parcel").get_data(as_text=True)
    assert "We use every comment" in page and "<b>Say</b>" not in page


def test_a_comment_error_keeps_what_was_typed(client, faq, db):
    client.post("/help/a/lost-parcel/feedback", data={"helpful": "no"})

    too_long = "z" * 2001
    page_response = client.post("/help/a/lost-parcel/comment", data={"comment": too_long})
    fragment = client.post("/help/a/lost-parcel/comment", data={"comment": "   "}, headers=HX)

    assert page_response.status_code == 400
    assert too_long in page_response.get_data(as_text=True)
    assert "under 2000 characters" in page_response.get_data(as_text=True)
    assert fragment.status_code == 200 and "write a few words" in fragment.get_data(as_text=True)
    assert db.session.scalar(select(ArticleFeedback)).comment == ""


def test_a_comment_without_a_no_vote_is_refused(client, faq, db):
    response = client.post("/help/a/lost-parcel/comment", data={"comment": "spam"})

    assert response.status_code == 400
    assert db.session.scalars(select(ArticleFeedback)).all() == []
