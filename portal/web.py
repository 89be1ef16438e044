"""What every page shares: locale, security headers, error pages, htmx fragments, the pool."""

import secrets
import time
from urllib.parse import urlsplit

from flask import Request, current_app, g, jsonify, render_template, request, session
from sqlalchemy import event, exc
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import HTTPException, ServiceUnavailable
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import i18n
from portal.extensions import db, htmx
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.numbers import IdConverter, TextConverter
from portal.storable import storable_text

# The language a customer sees, by the tag we keep; the HTML lang attribute for each.
HTML_LANG = {"en": "en", "zh": "zh-CN"}

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


# The header's self-service links; a journey appears once its blueprint is registered.
NAV_LINKS = [
    ("orders.track", _l("Track order")),
    ("returns.start", _l("Start a return")),
    ("complaints.new", _l("File a complaint")),
]


def has_endpoint(endpoint):
    return endpoint in current_app.view_functions


def select_locale():
    chosen = session.get("locale")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


def select_timezone():
    return getattr(g, "timezone", None)


def visitor_id():
    """A random id for this browser session, used for one-vote-per-visitor and search logs."""
    if "sid" not in session:
        session["sid"] = secrets.token_urlsafe(16)
    return session["sid"]


def rotate_session():
    """Start a fresh session (new visitor id) keeping only the language: done at every sign-in."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session["sid"] = secrets.token_urlsafe(16)


def render_fragment(full_template, fragment_template, **context):
    """The fragment alone for an htmx request, else the full page that includes it."""
    wants_fragment = bool(htmx) and not htmx.boosted
    body = render_template(fragment_template if wants_fragment else full_template, **context)
    response = current_app.make_response(body)
    response.vary.add("HX-Request")
    return response


def no_store(response):
    """A page about one person, or one a signed-in person sees: kept by no cache, shared or the browser's.
    Takes a response or what a view may return, and gives the response."""
    response = current_app.make_response(response)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Pragma"] = "no-cache"  # for HTTP/1.0 proxies, which know no Cache-Control
    return response


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HTTPS_ONLY = ("Strict-Transport-Security", "max-age=31536000")


def _security_headers(response):
    """Each header unless the view set its own. Werkzeug answers "is it there?" for a missing header by
    raising and catching an exception, so the names present are read once instead."""
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    # Browsers heed HSTS only when it comes over HTTPS; a developer's plain-http 127.0.0.1 must never get it.
    wanted = (*SECURITY_HEADERS, HTTPS_ONLY) if request.is_secure and not current_app.config["DEV_MODE"] \
        else SECURITY_HEADERS
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    return response


def _error_text(code):
    # Literal strings, so that the catalog extractor sees each one.
    titles = {
        400: (_("Bad request"),
              _("We could not understand that request. Please check what you entered and try again.")),
        403: (_("Not allowed"), _("You do not have access to this page.")),
        404: (_("Page not found"),
              _("We could not find that page. It may have moved, or the link may be mistyped.")),
        405: (_("Not allowed"), _("That action is not available here.")),
        413: (_("Too large"), _("What you sent is too large. Photos may be at most 5 MB each.")),
        429: (_("Too many attempts"), _("Too many attempts in a short time. Please wait a minute and try again.")),
        503: (_("Busy for a moment"),
              _("We are busy for a moment. Please try again in a few seconds: what you sent was not saved yet.")),
        500: (_("Something went wrong"),
              _("Something went wrong on our side. Nothing you entered was lost; please try again.")),
    }
    return titles.get(code, titles[500] if code >= 500 else titles[400])


def _busy_database(error):
    """SQLite lets one writer at a time: a request that waited out the busy timeout is asked to come again
    (503 with Retry-After; a shop's webhook retries on it) instead of failing with a 500."""
    if isinstance(error, exc.OperationalError) and "database is locked" in str(error.orig):
        current_app.logger.warning("database busy on %s: answered 503", request.path)
        db.session.rollback()
        return ServiceUnavailable(retry_after=2)
    return error


def _handle_error(error):
    error = _busy_database(error)
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    if code >= 500 and code != 503:
        current_app.logger.exception("unhandled error on %s", request.path)
        db.session.rollback()
    # Keep the error's own headers (Allow on a 405, Retry-After on a 429); the body is ours.
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"] \
        if isinstance(error, HTTPException) else []
    if request.path.startswith("/api/"):
        description = getattr(error, "description", "error") if code < 500 or code == 503 else "internal error"
        return jsonify(error=description), code, headers
    title, message = _error_text(code)
    if htmx and not htmx.boosted:
        # An htmx request swaps what comes back: the message goes where the page shows its notices.
        headers += [("HX-Retarget", "#flashes"), ("HX-Reswap", "innerHTML")]
        return render_template("errors/_notice.html", title=title, message=message), code, headers
    return render_template("errors/error.html", code=code, title=title, message=message), code, headers


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Reads map the file instead of copying each page through read(); writes are unchanged.
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def _watch_idle_connections(engine, idle_seconds):
    """Ping a pooled connection before use only when it has sat idle for a while.

    A ping on every checkout costs a round trip on every request; a connection used a moment ago was
    working a moment ago. One that sat idle may have been cut by a database restart or a firewall, and a
    failed ping discards the whole pool so that the request gets a fresh connection instead of an error.
    """
    dialect = engine.dialect

    def remember_return(_dbapi_connection, record):
        record.info["returned_at"] = time.monotonic()

    def ping_if_idle(dbapi_connection, record, _proxy):
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return  # new, or used moments ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise exc.InvalidatePoolError() from error

    event.listen(engine, "checkin", remember_return)
    event.listen(engine, "checkout", ping_if_idle)


class StorableFields(ImmutableMultiDict):
    """Form fields and query arguments as text every database stores: no person types a NUL, and PostgreSQL
    refuses one in text at the INSERT, after the request was accepted."""

    def __init__(self, mapping=None):
        if mapping is not None:
            if isinstance(mapping, MultiDict):
                mapping = mapping.items(multi=True)
            elif isinstance(mapping, dict):
                mapping = mapping.items()
            mapping = [(storable_text(key), storable_text(value) if isinstance(value, str) else value)
                       for key, value in mapping]
        super().__init__(mapping)


class PortalRequest(Request):
    parameter_storage_class = StorableFields


def init_app(app):
    app.request_class = PortalRequest
    # Before any blueprint adds its routes, which read the converter when they are added.
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
    if app.config["TRUSTED_PROXIES"]:
        # Behind a TLS-terminating proxy the app sees http; the proxy's X-Forwarded-Proto says what the browser used.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"],
                                x_proto=app.config["TRUSTED_PROXIES"])
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _handle_error)
    app.register_error_handler(Exception, _handle_error)

    @app.context_processor
    def layout_context():
        locale = i18n.locale_tag()
        return {
            "current_locale": locale,
            "html_lang": HTML_LANG.get(locale, locale),
            "has_endpoint": has_endpoint,
            "nav_links": [(endpoint, label) for endpoint, label in NAV_LINKS if has_endpoint(endpoint)],
        }

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
        _watch_idle_connections(db.engine, app.config["DB_PING_AFTER_IDLE_SECONDS"])


def external_url(endpoint, **values):
    """An absolute link for e-mails, built outside any request from PUBLIC_BASE_URL."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
