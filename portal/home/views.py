from flask import current_app, jsonify, redirect, render_template, request, session, url_for

from portal import settings
from portal.home import bp
from portal.home.health import check
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.i18n import ngettext
from portal.redirects import safe_next
from portal.web import has_endpoint, no_store

# The self-service journeys offered on the front page, most asked-for first: (endpoint, icon, title, text).
HOME_ACTIONS = [
    ("orders.track", "truck", _l("Track your order"), _l("See where your parcel is and when it arrives.")),
    ("returns.start", "return", _l("Start a return"),
     _l("Return, exchange or repair an item. You see the policy and your refund before you submit.")),
    ("complaints.new", "flag", _l("File a complaint"),
     _l("Tell us what went wrong. Urgent problems reach a person fast.")),
    ("cases.index", "list", _l("Follow your cases"), _l("See the status of your returns and complaints.")),
    ("help.index", "book", _l("Browse help articles"), _l("Answers on orders, returns, refunds and your account.")),
]

# What customers search for most; each is a search query in the reader's language.
POPULAR_SEARCHES = [
    _l("Where is my order?"),
    _l("When will I get my refund?"),
    _l("Return an item"),
    _l("Item arrived damaged"),
]

# The first-response promise by urgency, with examples of what counts: (urgency, title, examples).
PROMISE_TIERS = [
    ("high", _l("Urgent"),
     _l("A lost or late parcel, a damaged or unsafe product, an allergic reaction, a double charge.")),
    ("medium", _l("Other problems"), _l("Something wrong with an order, a return or a refund.")),
    ("low", _l("Questions"), _l("Anything else you would like to ask or tell us.")),
]


@bp.get("/")
def index():
    """The help center's front door: search first, then the common self-service actions."""
    actions = [
        {"url": url_for(endpoint), "icon": icon, "title": title, "text": text}
        for endpoint, icon, title, text in HOME_ACTIONS
        if has_endpoint(endpoint)
    ]
    promise = [{"urgency": urgency, "title": title, "text": text} for urgency, title, text in PROMISE_TIERS]
    return render_template("home/index.html", home_actions=actions, popular_searches=POPULAR_SEARCHES,
                           promise_tiers=promise)


def duration(span):
    """A response time in words, in the reader's language: "10 minutes", "1 hour", "3 days"."""
    minutes = int(span.total_seconds() // 60)
    if minutes >= 48 * 60 and minutes % (24 * 60) == 0:
        return ngettext("%(num)d day", "%(num)d days", minutes // (24 * 60))
    if minutes >= 60 and minutes % 60 == 0:
        return ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def response_promise(urgency):
    """The first-response promise of an urgency as the settings say it now: "10 minutes", or "1 hour during
    opening hours" when its clock counts business hours only."""
    target, business = settings.first_response_target(urgency)
    return _("%(time)s during opening hours", time=duration(target)) if business else duration(target)


@bp.post("/locale")
def set_locale():
    """Remember the visitor's language and go back to where they were."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
    # The same page in the chosen language when the page names one (an article's translation).
    target = request.form.get(f"next_{locale}") or request.form.get("next")
    return redirect(safe_next(target, url_for("home.index")))


@bp.get("/healthz")
def healthz():
    """Database, Redis, search index and worker heartbeat, as JSON; 503 names what is down."""
    all_up, report = check()
    response = jsonify(status="up" if all_up else "down", checks=report)
    response.status_code = 200 if all_up else 503
    return no_store(response)
