"""The home page in a real Chromium: both languages, phone and desktop widths, keyboard and language switch.

Screenshots land in tests/e2e/screenshots/ for a person to look at.
"""

import pytest

from portal.web import NAV_LINKS
from tests.e2e.conftest import WIDTHS, screenshot

LANGUAGES = {
    "en-US": {"lang": "en", "heading": "How can we help?", "switch_to": "中文"},
    "zh-CN": {"lang": "zh-CN", "heading": "需要什么帮助？", "switch_to": "English"},
}


def _expected_nav_hrefs(app):
    with app.test_request_context():
        from flask import url_for

        return [url_for(endpoint) for endpoint, _label in NAV_LINKS if endpoint in app.view_functions]


def _assert_fits_the_viewport(page, width):
    viewport = WIDTHS[width]["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= viewport, f"page is {scroll_width}px wide in a {viewport}px viewport"


def _assert_inside_viewport(page, locator, width):
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not rendered"
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTHS[width]["width"] + 0.5, f"{locator} sticks out"


@pytest.mark.parametrize("width", ["mobile", "desktop"])
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_home_page_reads_in_the_browser_language_and_fits_the_screen(live_server, new_page, locale, width):
    expected = LANGUAGES[locale]
    page = new_page(width, locale)

    page.goto(live_server.url + "/")

    assert page.locator("html").get_attribute("lang") == expected["lang"]
    assert page.get_by_role("heading", level=1).inner_text() == expected["heading"]
    _assert_fits_the_viewport(page, width)
    header = page.locator(".site-header")
    _assert_inside_viewport(page, header.locator(".brand"), width)
    _assert_inside_viewport(page, header.get_by_role("button", name=expected["switch_to"]), width)
    hrefs = _expected_nav_hrefs(live_server.app)
    for href in hrefs:
        link = header.locator(f'nav a[href="{href}"]')
        assert link.is_visible(), f"nav link {href} is hidden at {width}"
        _assert_inside_viewport(page, link, width)
    for card in page.locator(".home-actions .card").all():
        _assert_inside_viewport(page, card, width)
    screenshot(page, f"home-{locale}-{width}")


@pytest.mark.parametrize("width", ["mobile", "desktop"])
def test_language_switch_turns_the_page_chinese_and_back(live_server, new_page, width):
    page = new_page(width, "en-US")
    page.goto(live_server.url + "/")

    page.get_by_role("button", name="中文").click()

    page.wait_for_url(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("heading", level=1).inner_text() == "需要什么帮助？"
    # The current language is marked (and, on a phone, hidden: only the other one is offered).
    assert page.locator('.lang-switch button[value="zh"]').get_attribute("aria-current") == "true"
    _assert_fits_the_viewport(page, width)
    screenshot(page, f"home-switched-zh-{width}")

    page.get_by_role("button", name="English").click()

    page.wait_for_url(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "How can we help?"


def test_first_tab_focuses_a_visible_skip_link_that_moves_focus_to_the_content(live_server, new_page):
    page = new_page("mobile", "en-US")
    page.goto(live_server.url + "/")

    page.keyboard.press("Tab")

    focused = page.evaluate("[document.activeElement.className, document.activeElement.textContent]")
    assert focused == ["skip-link", "Skip to content"]
    skip = page.locator(".skip-link")
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["height"] > 0, "the focused skip link is off screen"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    screenshot(page, "home-skip-link-focused")

    page.keyboard.press("Enter")

    assert page.evaluate("document.activeElement.id") == "main"


def test_keyboard_focus_on_a_link_is_visible(live_server, new_page):
    page = new_page("desktop", "en-US")
    page.goto(live_server.url + "/")

    page.keyboard.press("Tab")
    page.keyboard.press("Tab")

    assert page.evaluate("document.activeElement.className") == "brand"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineWidth") == "3px"


@pytest.mark.parametrize("width", ["mobile", "desktop"])
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_missing_page_is_shown_in_the_layout_in_the_readers_language(live_server, new_page, locale, width):
    page = new_page(width, locale)

    response = page.goto(live_server.url + "/no-such-page")

    assert response.status == 404
    title = {"en-US": "Page not found", "zh-CN": "页面不存在"}[locale]
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert page.locator(".site-footer").is_visible()
    _assert_fits_the_viewport(page, width)
    screenshot(page, f"not-found-{locale}-{width}")
