from flask import current_app, jsonify, redirect, render_template, request, session, url_for

from portal.home import bp
from portal.home.health import check
from portal.i18n import lazy_gettext as _l
from portal.redirects import safe_next
from portal.web import has_endpoint, no_store

# The self-service journeys offered on the front page, most asked-for first: (endpoint, icon, title, text).
HOME_ACTIONS = [
    ("orders.track", "truck", _l("Track your order"), _l("See where your parcel is and when it arrives.")),
    ("assistant.page", "chat", _l("Ask the assistant"),
     _l("Write your question in your own words: it answers, checks your orders, or passes you to a person.")),
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
