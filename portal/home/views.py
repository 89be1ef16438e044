from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l

from portal.home import bp
from portal.home.health import check
from portal.web import has_endpoint

# The self-service journeys offered on the front page, most asked-for first.
HOME_ACTIONS = [
    ("orders.track", _l("Track your order"), _l("See where your parcel is and when it arrives.")),
    ("returns.start", _l("Start a return"),
     _l("Return, exchange or repair an item. You see the policy and your refund before you submit.")),
    ("complaints.new", _l("File a complaint"), _l("Tell us what went wrong. Urgent problems reach a person fast.")),
    ("cases.index", _l("Follow your cases"), _l("See the status of your returns and complaints.")),
    ("help.index", _l("Browse help articles"), _l("Answers on orders, returns, refunds and your account.")),
]


@bp.get("/")
def index():
    """The help center's front door: search first, then the common self-service actions."""
    actions = [
        {"url": url_for(endpoint), "title": title, "text": text}
        for endpoint, title, text in HOME_ACTIONS
        if has_endpoint(endpoint)
    ]
    return render_template("home/index.html", home_actions=actions)


@bp.post("/locale")
def set_locale():
    """Remember the visitor's language and go back to where they were."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
    return redirect(_safe_next(request.form.get("next")))


def _safe_next(target):
    # Only paths on this site: an open redirect would let others send our users anywhere.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("home.index")


@bp.get("/healthz")
def healthz():
    """Database, Redis, search index and worker heartbeat, as JSON; 503 names what is down."""
    all_up, report = check()
    response = jsonify(status="up" if all_up else "down", checks=report)
    response.status_code = 200 if all_up else 503
    response.headers["Cache-Control"] = "no-store"
    return response
