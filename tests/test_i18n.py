"""Both languages are complete: every message in the source has a Chinese translation, and pages follow the
reader's language (Accept-Language, then the language switch)."""

import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from tests.conftest import make_app

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ZH_CATALOG = PROJECT_ROOT / "portal" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
# The same extraction as `make i18n`.
EXTRACT_KEYWORDS = ["-k", "_l", "-k", "lazy_gettext", "-k", "ngettext:1,2", "-k", "N_plural:1,2"]
PLACEHOLDER = re.compile(r"%%|%(?:\(\w+\))?[sdifr]|\{\w+\}")


def _forms(value):
    """A message's id or string as a tuple of its forms (one, or several for plurals)."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,)


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory):
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run([
        "pybabel", "--quiet", "extract", "-F", str(PROJECT_ROOT / "babel.cfg"), *EXTRACT_KEYWORDS,
        "--no-location", "-o", str(pot), str(PROJECT_ROOT),
    ])
    with pot.open("rb") as handle:
        return [message for message in read_po(handle) if message.id]


@pytest.fixture(scope="module")
def zh_catalog():
    with ZH_CATALOG.open("rb") as handle:
        return read_po(handle)


def test_extraction_finds_the_layout_strings(source_messages):
    ids = {_forms(message.id)[0] for message in source_messages}
    assert {"Skip to content", "How can we help?", "Page not found"} <= ids
    assert "Footer" in ids


def test_every_message_in_the_source_has_a_chinese_translation(source_messages, zh_catalog):
    problems = []
    for message in source_messages:
        entry = zh_catalog.get(message.id)
        if entry is None:
            problems.append(f"missing: {message.id!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not all(form.strip() for form in _forms(entry.string)):
            problems.append(f"empty: {message.id!r}")
    assert not problems, "run `make i18n` and translate in " + str(ZH_CATALOG) + ":\n" + "\n".join(problems)


def test_translations_keep_the_placeholders_of_their_message(zh_catalog):
    problems = []
    for entry in zh_catalog:
        if not entry.id or not any(_forms(entry.string)):
            continue
        expected = set()
        for form in _forms(entry.id):
            expected |= set(PLACEHOLDER.findall(form))
        for form in _forms(entry.string):
            if form and set(PLACEHOLDER.findall(form)) != expected:
                problems.append(f"{entry.id!r}: {form!r} should use {sorted(expected)}")
    assert not problems, "\n".join(problems)


def test_within_a_response_time_reads_as_one_phrase_in_chinese(zh_catalog):
    # "within %(time)s" is filled with a duration ("10 分钟"): Chinese writes "10 分钟内", with no space before 内.
    problems = []
    for entry in zh_catalog:
        if not entry.id or not any("within %(" in form for form in _forms(entry.id)):
            continue
        problems += [f"{entry.id!r}: {form!r}" for form in _forms(entry.string) if re.search(r"%\(\w+\)s 内", form)]
    assert not problems, "\n".join(problems)


def test_placeholder_check_catches_a_dropped_or_renamed_placeholder():
    assert set(PLACEHOLDER.findall("订单 %(num)s")) != set(PLACEHOLDER.findall("Order %(number)s"))
    assert set(PLACEHOLDER.findall("订单")) != set(PLACEHOLDER.findall("Order %(number)s"))
    assert set(PLACEHOLDER.findall("{name}")) != set(PLACEHOLDER.findall("{first_name}"))
    assert set(PLACEHOLDER.findall("30 %")) != set(PLACEHOLDER.findall("%(rate)d %%"))


# ---------- pages in the reader's language ----------


@pytest.fixture
def client(app, test_environ):
    """A client whose requests each get their own app context, as in production.

    The `app` fixture keeps one app context open for the whole test, and Flask-Babel caches the locale in
    that context's `g`; a test that changes language between requests needs a fresh app.
    """
    return make_app(test_environ).test_client()


def _html_lang(response):
    return re.search(r'<html lang="([^"]+)">', response.get_data(as_text=True)).group(1)


def test_page_is_in_english_by_default(client):
    response = client.get("/")

    assert _html_lang(response) == "en"
    assert "How can we help?" in response.get_data(as_text=True)


def test_page_is_in_chinese_when_the_browser_asks_for_zh_cn(client):
    response = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})

    html = response.get_data(as_text=True)
    assert _html_lang(response) == "zh-CN"
    assert "需要什么帮助？" in html
    assert "跳到主要内容" in html
    assert "How can we help?" not in html


def test_language_switch_chooses_chinese_over_the_browser_language_and_back(client):
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}

    response = client.post("/locale", data={"locale": "zh", "next": "/"}, headers=english_browser)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    chinese = client.get("/", headers=english_browser)
    assert _html_lang(chinese) == "zh-CN"
    assert "需要什么帮助？" in chinese.get_data(as_text=True)

    client.post("/locale", data={"locale": "en", "next": "/"}, headers=english_browser)
    assert _html_lang(client.get("/", headers=english_browser)) == "en"


def test_language_switch_returns_to_the_page_it_was_pressed_on(client):
    response = client.post("/locale", data={"locale": "zh", "next": "/help/search?q=refund"})

    assert response.headers["Location"] == "/help/search?q=refund"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "", "x" * 5000,
])
def test_language_switch_never_redirects_off_site(client, target):
    response = client.post("/locale", data={"locale": "zh", "next": target})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("locale", ["fr", "", "<script>alert(1)</script>", "zh" * 1000])
def test_language_switch_ignores_a_language_we_do_not_have(client, locale):
    response = client.post("/locale", data={"locale": locale, "next": "/"})

    assert response.status_code == 302
    assert _html_lang(client.get("/")) == "en"


def test_each_language_button_is_named_in_its_own_language(client):
    html = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)

    assert re.search(r'<button type="submit" name="locale" value="en" lang="en"[^>]*>English</button>', html)
    assert re.search(r'<button type="submit" name="locale" value="zh" lang="zh-CN"[^>]*>中文</button>', html)
    assert re.search(r'value="zh" lang="zh-CN" aria-current="true"', html)


def test_language_switch_carries_a_short_query_back_but_not_a_huge_one(client):
    short = client.get("/?q=refund").get_data(as_text=True)
    huge = client.get("/?q=" + "x" * 600).get_data(as_text=True)

    assert 'name="next" value="/?q=refund"' in short
    assert 'name="next" value="/"' in huge
    assert "x" * 600 not in huge
