"""The walks' own checks fail on what they exist to catch: an accessibility violation, an internal code."""

import pytest

from tests.e2e.checks import accessibility_violations, check_page, internal_codes

CLEAN = """<!doctype html><html lang="en"><head><title>Case</title></head><body><main><h1>Case</h1>
<p>Status: <span class="badge">With a person</span></p><p>Write to jane_doe@example.com</p>
<label for="q">Search</label><input id="q"></main></body></html>"""


def test_a_clean_page_passes(page, screenshots):
    page.set_content(CLEAN)
    check_page(page, "checks-clean", screenshots)


def test_an_unlabelled_field_and_an_image_without_text_are_violations(page):
    page.set_content('<!doctype html><html lang="en"><head><title>x</title></head><body><main>'
                     '<input id="q"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>')
    violations = " ".join(accessibility_violations(page))
    assert "label" in violations and "image-alt" in violations


@pytest.mark.parametrize("text, code", [
    ("the customer chose the category “late_or_lost”", "late_or_lost"),
    ("Agent 1: internal_note added", "internal_note"),
    ("<td>low_rating</td>", "low_rating"),
    ('<span class="badge">escalated</span>', "escalated"),
    ("<dd>high</dd>", "high"),
])
def test_internal_codes_are_found(page, text, code):
    page.set_content(f"<!doctype html><html lang='en'><body><p>{text}</p></body></html>")
    assert code in internal_codes(page)


def test_hidden_text_and_addresses_are_not_codes(page):
    page.set_content("<!doctype html><html lang='en'><body><p>Mail jane_doe@example.com or see "
                     "https://shop.test/a_b</p><p hidden>needs_review</p><p>It is escalated to a person.</p>"
                     "</body></html>")
    assert internal_codes(page) == []
