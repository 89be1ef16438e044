"""One way every htmx form shows what went wrong: errors are swapped in, never silently dropped."""

import json
import re


def htmx_config(page):
    raw = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', page).group(1)
    return json.loads(raw)


def test_htmx_swaps_error_answers_on_customer_and_staff_pages(client):
    for path in ("/help/", "/staff/signin"):
        config = htmx_config(client.get(path).text)
        swapped = [rule for rule in config["responseHandling"] if rule["swap"]]
        assert any(re.fullmatch(rule["code"], "400") for rule in swapped), path
        assert any(re.fullmatch(rule["code"], "500") for rule in swapped), path
        assert "style" not in config["attributesToSettle"]


def test_an_error_page_asked_for_by_htmx_becomes_a_notice_in_the_flash_region(client):
    response = client.get("/no-such-page", headers={"HX-Request": "true"})

    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#flashes"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert response.text.strip().startswith('<p class="flash flash-warning" role="alert">')
    assert "<html" not in response.text


def test_without_htmx_the_error_page_is_whole(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert "HX-Retarget" not in response.headers
    assert "<html" in response.text


def test_every_layout_has_the_flash_region_and_an_icon(client):
    for path in ("/help/", "/staff/signin"):
        page = client.get(path).text
        assert 'id="flashes"' in page, path
        assert 'rel="icon"' in page, path
