"""/dev/mailbox: what the portal "sent", with working links, for someone who ran `make run`."""

from flask import abort, current_app, make_response, render_template

from portal.dev import bp, mailbox
from portal.web import no_store

# The e-mail's HTML runs in a sandboxed frame: no scripts, no requests, only its own inline styles.
FRAME_POLICY = "; ".join([
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'self'",
    "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation",
])


def _folder():
    return mailbox.directory(current_app.config["MAIL_URL"])


@bp.get("/mailbox")
def index():
    """The newest messages of the file sink."""
    folder = _folder()
    return render_template("dev/mailbox.html", messages=mailbox.newest(folder), sink=folder is not None)


@bp.get("/mailbox/<message_id>")
def message(message_id):
    """One message: its headers, its text with working links, and its HTML in a sandboxed frame."""
    parsed = mailbox.load(_folder(), message_id)
    if parsed is None:
        abort(404)
    return render_template("dev/message.html", message_id=message_id, message=parsed,
                           text=mailbox.linkify(mailbox.part(parsed, "plain")),
                           has_html=bool(mailbox.part(parsed, "html")))


@bp.get("/mailbox/<message_id>/html")
def message_html(message_id):
    """The HTML part alone, for the frame, under a policy that lets it do nothing but show itself."""
    parsed = mailbox.load(_folder(), message_id)
    html = mailbox.part(parsed, "html") if parsed is not None else ""
    if not html:
        abort(404)
    response = make_response(mailbox.framed_html(html))
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = FRAME_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return no_store(response)
