"""Every redirect that takes a `next` goes only to a path on this site, however the target is disguised."""

import pytest

from portal.redirects import safe_next
from tests.auth.test_signin import mailed_link, request_link

# What browsers read as another site, though a plain "starts with / but not //" check lets some through:
# they drop tabs and newlines, skip leading controls and spaces, and read a backslash as a slash.
OFF_SITE = [
    "//evil.example/x", "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "\t//evil.example",
    " //evil.example", "/\\evil.example", "\\\\evil.example", "/%09/evil.example", "/%5Cevil.example",
    "/%2F/evil.example", "https://evil.example/", "javascript:alert(1)", "JaVaScRiPt:alert(1)",
    "evil.example", "data:text/html,x", "/\x00/evil.example", "/\u2028/evil.example", "/\u3000/evil.example",
    "", None, 42, "/" + "a" * 600,
]
ON_SITE = ["/", "/agent/callbacks", "/orders/T1?tab=items#x", "/help/search?q=%E9%80%80%E8%B4%A7", "/帮助"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_targets_a_browser_would_take_off_site_fall_back(target):
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ON_SITE)
def test_paths_on_this_site_pass_unchanged(target):
    assert safe_next(target, "/home") == target


def test_staff_sign_in_never_redirects_off_site(client, agent):
    answer = client.post("/staff/signin", data={"email": agent.email, "password": "correct horse battery",
                                                "next": "/\t/evil.example"})

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/agent"


def test_staff_sign_in_page_does_not_carry_a_hostile_next_into_its_form(client):
    page = client.get("/staff/signin?next=/%09/evil.example")

    assert "evil.example" not in page.text


@pytest.mark.parametrize("target", ["/\t/evil.example", "/%09/evil.example"])
def test_the_customer_link_never_redirects_off_site(app, db, client, customer, redis, mail_sink, target):
    request_link(client, "alice@example.com", next=target)
    link = mailed_link(app, db, mail_sink, "alice@example.com")

    assert client.post(link).headers["Location"] == "/account"


def test_the_customer_link_refuses_a_next_added_to_it_by_hand(app, db, client, customer, redis, mail_sink):
    request_link(client, "alice@example.com")
    link = mailed_link(app, db, mail_sink, "alice@example.com")

    assert client.post(link + "?next=/%09/evil.example").headers["Location"] == "/account"


@pytest.mark.parametrize("target", OFF_SITE[:12])
def test_changing_language_never_redirects_off_site(client, target):
    answer = client.post("/locale", data={"locale": "zh", "next": target})

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"


def test_changing_language_returns_to_the_page(client):
    assert client.post("/locale", data={"locale": "zh", "next": "/help?q=x"}).headers["Location"] == "/help?q=x"
