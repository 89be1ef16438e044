"""What every page shares: locale, security headers, error pages, htmx fragment rendering."""

import secrets
from urllib.parse import urlsplit

from flask import current_app, g, has_request_context, jsonify, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import event
from werkzeug.exceptions import HTTPException

from portal import i18n
from portal.extensions import db, htmx
from portal.i18n import lazy_gettext as _l

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


def _template_url_for(endpoint, **values):
    """url_for for templates; the links that take no page values (the nav, static files) are built once.

    Every page carries a dozen such links in its header and footer, and building one walks the URL map.
    """
    fixed = not values or (endpoint == "static" and set(values) == {"filename"})
    if not fixed or endpoint.startswith(".") or not has_request_context():
        return url_for(endpoint, **values)
    key = (request.script_root, endpoint, values.get("filename"))
    links = current_app.extensions.setdefault("portal_fixed_links", {})
    if key not in links:
        links[key] = url_for(endpoint, **values)
    return links[key]


def render_fragment(full_template, fragment_template, **context):
    """The fragment alone for an htmx request, else the full page that includes it."""
    wants_fragment = bool(htmx) and not htmx.boosted
    body = render_template(fragment_template if wants_fragment else full_template, **context)
    response = current_app.make_response(body)
    response.vary.add("HX-Request")
    return response


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if not current_app.config["DEV_MODE"] and not current_app.testing:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
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
        500: (_("Something went wrong"),
              _("Something went wrong on our side. Nothing you entered was lost; please try again.")),
    }
    return titles.get(code, titles[500] if code >= 500 else titles[400])


def _handle_error(error):
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    if code >= 500:
        current_app.logger.exception("unhandled error on %s", request.path)
        db.session.rollback()
    # Keep the error's own headers (Allow on a 405, Retry-After on a 429); the body is ours.
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"] \
        if isinstance(error, HTTPException) else []
    if request.path.startswith("/api/"):
        return jsonify(error=getattr(error, "description", "error") if code < 500 else "internal error"), code, headers
    title, message = _error_text(code)
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


def init_app(app):
    i18n.install_template_gettext(app)
    app.jinja_env.globals["url_for"] = _template_url_for
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _handle_error)
    app.register_error_handler(Exception, _handle_error)

    @app.context_processor
    def layout_context():
        from flask_babel import get_locale

        locale = str(get_locale() or "en")
        return {
            "current_locale": locale,
            "html_lang": HTML_LANG.get(locale, locale),
            "has_endpoint": has_endpoint,
            "nav_links": [(endpoint, label) for endpoint, label in NAV_LINKS if has_endpoint(endpoint)],
        }

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)


def external_url(endpoint, **values):
    """An absolute link for e-mails, built outside any request from PUBLIC_BASE_URL."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
