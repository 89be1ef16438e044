"""Switching the language on an article lands on its translation, or says in the new language that there is
none and where that language's help center is. The switch is the header's form, posted as a browser would."""

import re

import pytest


def _switch_form(page):
    """The header's language form: its hidden fields as a browser would post them."""
    form = re.search(r'<form class="lang-switch".*?</form>', page, re.S).group(0)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def _switch(client, path, locale):
    fields = _switch_form(client.get(path).get_data(as_text=True))
    response = client.post("/locale", data=fields | {"locale": locale})
    assert response.status_code == 302
    return response.headers["Location"]


def test_switching_to_chinese_on_an_english_article_lands_on_its_translation_and_back(client, faq):
    assert _switch(client, "/help/a/allergic-reaction-cosmetics", "zh") == "/help/a/zh-allergic-reaction-cosmetics"
    assert _switch(client, "/help/a/zh-allergic-reaction-cosmetics", "en") == "/help/a/allergic-reaction-cosmetics"


def test_choosing_the_language_already_shown_stays_on_the_article(client, faq):
    assert _switch(client, "/help/a/allergic-reaction-cosmetics", "en") == "/help/a/allergic-reaction-cosmetics"


def test_without_a_translation_the_article_says_so_in_chinese_and_links_the_chinese_help_center(client, faq):
    landed = _switch(client, "/help/a/change-email-address", "zh")
    page = client.get(landed).get_data(as_text=True)

    assert landed == "/help/a/change-email-address"
    assert '<p class="translation-link" lang="zh-CN">本文暂无中文版本。 <a href="/help/">前往中文帮助中心</a>' in page


def test_an_english_reader_of_an_english_article_sees_no_notice(client, faq):
    page = client.get("/help/a/change-email-address").get_data(as_text=True)

    assert "not available" not in page


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example", "javascript:alert(1)",
                                    "/help/\r\nSet-Cookie: x=1", "x" * 5000])
def test_a_hostile_language_target_is_refused_for_the_home_page(client, faq, target):
    response = client.post("/locale", data={"locale": "zh", "next": "/help/", "next_zh": target})

    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "/help/")
