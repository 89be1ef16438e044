"""The security baseline every page inherits: headers, cookies, CSRF, size limit, error pages, htmx config.

The route walk reads the app's URL map, so it covers each journey's routes as soon as its blueprint lands.
"""

import json
import re
import uuid
from html.parser import HTMLParser

import pytest
from werkzeug.routing import IntegerConverter, UUIDConverter

from tests.conftest import make_app

# Machine endpoints authenticate by signature instead of a session, so they are exempt from CSRF.
MACHINE_PREFIX = "/api/"
# /healthz answers 503 by design when a part (worker, search index) is down, as it is in tests.
MAY_BE_UNAVAILABLE = {"home.healthz"}
REFERRER_POLICIES = {"same-origin", "no-referrer", "strict-origin", "strict-origin-when-cross-origin"}


def _placeholder(converter):
    """A plausible value for a URL argument: pages must answer it with a page or a 4xx, never a 500."""
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=1)
    return "test"


def _urls(app, method):
    """(endpoint, url) for every rule that answers `method`, arguments filled with placeholders."""
    adapter = app.url_map.bind("localhost")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if method not in rule.methods:
            continue
        if rule.endpoint == "static":
            values = {"filename": "css/portal.css"}
        else:
            values = {name: _placeholder(rule._converters[name]) for name in rule.arguments}
        yield rule.endpoint, adapter.build(rule.endpoint, values, method=method)


class _PageAudit(HTMLParser):
    """Collects what the CSP would block or what weakens htmx: inline scripts, styles and handlers."""

    def __init__(self):
        super().__init__()
        self.problems = []
        self.htmx_config = None
        self.csrf_token = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("inline <style>")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if name.startswith("on"):
                self.problems.append(f"{name} handler on <{tag}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL on <{tag}>")
        if tag == "meta" and attributes.get("name") == "htmx-config":
            self.htmx_config = json.loads(attributes["content"])
        if tag == "input" and attributes.get("name") == "csrf_token" and self.csrf_token is None:
            self.csrf_token = attributes.get("value")


def _audit(html):
    audit = _PageAudit()
    audit.feed(html)
    return audit


def _csp(response):
    policy = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def _security_header_problems(response):
    problems = []
    directives = _csp(response)
    if directives.get("default-src") != ["'self'"]:
        problems.append(f"default-src is {directives.get('default-src')}")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append(f"frame-ancestors is {directives.get('frame-ancestors')}")
    policy = response.headers.get("Content-Security-Policy", "")
    for weak in ("'unsafe-inline'", "'unsafe-eval'", "*"):
        if weak in policy.split():
            problems.append(f"CSP allows {weak}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("X-Content-Type-Options is not nosniff")
    if response.headers.get("Referrer-Policy") not in REFERRER_POLICIES:
        problems.append(f"Referrer-Policy is {response.headers.get('Referrer-Policy')}")
    return problems


def _is_full_page(response):
    # A redirect's body is Werkzeug's stock HTML, which nobody sees.
    return (not 300 <= response.status_code < 400 and response.mimetype == "text/html"
            and "<html" in response.get_data(as_text=True))


def _in_layout(html):
    return 'class="site-header"' in html and 'class="site-footer"' in html and 'id="main"' in html


# ---------- the route walk ----------


def test_every_get_route_sends_the_security_headers_and_no_server_error(app, client):
    failures = []
    walked = 0
    for endpoint, url in _urls(app, "GET"):
        response = client.get(url)
        walked += 1
        problems = _security_header_problems(response)
        if response.status_code >= 500 and endpoint not in MAY_BE_UNAVAILABLE:
            problems.append(f"status {response.status_code}")
        failures += [f"{url} ({endpoint}): {problem}" for problem in problems]
    assert walked >= 3, "the URL map walk found almost no routes"
    assert not failures, "\n".join(failures)


def test_every_full_page_has_no_inline_script_or_style_and_a_safe_htmx_config(app, client):
    failures = []
    pages = 0
    for endpoint, url in _urls(app, "GET"):
        response = client.get(url)
        if not _is_full_page(response):
            continue
        pages += 1
        audit = _audit(response.get_data(as_text=True))
        failures += [f"{url} ({endpoint}): {problem}" for problem in audit.problems]
        config = audit.htmx_config or {}
        expected = {"selfRequestsOnly": True, "allowEval": False, "allowScriptTags": False,
                    "includeIndicatorStyles": False}
        wrong = {key: config.get(key) for key, value in expected.items() if config.get(key) is not value}
        if wrong:
            failures.append(f"{url} ({endpoint}): htmx-config has {wrong}")
    assert pages >= 1, "no full HTML page was found in the walk"
    assert not failures, "\n".join(failures)


def test_every_post_route_refuses_a_request_without_csrf_token(app, test_environ):
    protected = make_app(test_environ, WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    failures = []
    posts = 0
    for endpoint, url in _urls(protected, "POST"):
        if url.startswith(MACHINE_PREFIX):
            continue
        posts += 1
        response = client.post(url, data={"anything": "1"})
        if response.status_code != 400:
            failures.append(f"{url} ({endpoint}): {response.status_code} without a CSRF token")
    assert posts >= 1
    assert not failures, "\n".join(failures)


# ---------- cookies and CSRF ----------


def _session_cookie_header(response):
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    assert cookies, "the response set no session cookie"
    return cookies[0]


def test_session_cookie_is_httponly_samesite_lax_and_secure_outside_dev_mode(app, client):
    response = client.post("/locale", data={"locale": "zh", "next": "/"})

    cookie = _session_cookie_header(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie


def test_session_cookie_is_not_secure_in_dev_mode_so_plain_http_on_localhost_works(app, test_environ):
    dev = make_app(dict(test_environ, PORTAL_ENV="development"))

    response = dev.test_client().post("/locale", data={"locale": "zh", "next": "/"})

    cookie = _session_cookie_header(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


@pytest.fixture
def protected_client(app, test_environ):
    """A client of an app with CSRF on (its session cookie not Secure, so the plain-http client keeps it)."""
    return make_app(test_environ, WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=False).test_client()


def test_post_without_csrf_token_is_refused_with_400_page_in_the_layout(protected_client):
    response = protected_client.post("/locale", data={"locale": "zh", "next": "/"})

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert _in_layout(html)
    assert "Bad request" in html
    assert _security_header_problems(response) == []


def test_post_with_the_token_from_the_page_is_accepted(protected_client):
    token = _audit(protected_client.get("/").get_data(as_text=True)).csrf_token
    assert token

    response = protected_client.post("/locale", data={"locale": "zh", "next": "/", "csrf_token": token})

    assert response.status_code == 302
    assert 'lang="zh-CN"' in protected_client.get("/").get_data(as_text=True)


def test_htmx_request_with_the_token_in_the_header_is_accepted(protected_client):
    html = protected_client.get("/").get_data(as_text=True)
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', html).group(1)

    response = protected_client.post("/locale", data={"locale": "zh", "next": "/"},
                                     headers={"X-CSRFToken": token, "HX-Request": "true"})

    assert response.status_code == 302


def test_token_from_another_visitor_is_refused(app, test_environ, protected_client):
    token = _audit(protected_client.get("/").get_data(as_text=True)).csrf_token
    stranger = make_app(test_environ, WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=False).test_client()

    response = stranger.post("/locale", data={"locale": "zh", "next": "/", "csrf_token": token})

    assert response.status_code == 400


# ---------- error pages ----------


def test_too_large_a_request_gets_the_413_page_in_the_layout(app, test_environ):
    small = make_app(test_environ, MAX_CONTENT_LENGTH=1024)

    response = small.test_client().post("/locale", data={"locale": "zh", "next": "/" + "x" * 4096},
                                        headers={"Accept-Language": "en"})

    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert _in_layout(html)
    assert "Too large" in html
    assert _security_header_problems(response) == []


def test_unknown_page_gets_a_404_in_the_layout_and_in_chinese(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "zh-CN,zh;q=0.9"})

    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert _in_layout(html)
    assert '<html lang="zh-CN">' in html
    assert "页面不存在" in html
    assert "Page not found" not in html


def test_wrong_method_gets_a_405_in_the_layout_and_in_chinese(client):
    response = client.get("/locale", headers={"Accept-Language": "zh-CN"})

    assert response.status_code == 405
    html = response.get_data(as_text=True)
    assert _in_layout(html)
    assert "此处不支持该操作" in html
    assert "POST" in response.headers["Allow"]


@pytest.fixture
def exploding_app(app, test_environ):
    broken = make_app(test_environ)

    @broken.get("/__explode")
    def explode():
        raise RuntimeError("secret internals: password=hunter2")

    return broken


@pytest.mark.parametrize(("language", "title"), [("en", "Something went wrong"), ("zh-CN", "出错了")])
def test_an_exception_in_a_view_gives_the_500_page_and_never_a_traceback(exploding_app, language, title):
    response = exploding_app.test_client().get("/__explode", headers={"Accept-Language": language})

    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert _in_layout(html)
    assert title in html
    for leak in ("Traceback", "RuntimeError", "hunter2", "secret internals"):
        assert leak not in html
    assert _security_header_problems(response) == []
