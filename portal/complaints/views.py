"""The complaint form, the help articles suggested while the customer types, and "this solved it"."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from portal.auth.customers import current_customer
from portal.casework import photos
from portal.complaints import bp, resubmits, service
from portal.complaints.forms import ComplaintForm
from portal.extensions import db
from portal.help import service as help_service
from portal.i18n import gettext as _
from portal.i18n import locale_tag
from portal.order_lookup import normalise_number
from portal.redirects import safe_next
from portal.web import render_fragment, visitor_id

MAX_SUGGESTIONS = 3
MAX_PREFILL = 500


def _sign_in_first():
    flash(_("Please sign in first, so that we can link your complaint to your orders."), "info")
    return redirect(url_for("auth.signin", next=safe_next(request.full_path.rstrip("?"), request.path)), 303)


def suggestions(text):
    """Up to three help articles for what the customer typed, and the self-service actions (intent cards) that
    its words and the best article's scenario lead to, each search logged for deflection."""
    query = help_service.clean_query(text)
    if len(query) < 3:
        return [], []
    locale = locale_tag()
    result = help_service.search_articles(query, locale, MAX_SUGGESTIONS)
    help_service.log_search(query, locale, result.total, visitor_id())
    db.session.commit()
    hits = result.hits[:MAX_SUGGESTIONS]
    # The customer is on the complaint form already: a card back to it would go nowhere.
    actions = [name for name in help_service.intent_actions(query, [hit.scenario for hit in hits[:1]])
               if name != "file_complaint"]
    return hits, help_service.action_cards(actions)


def _photo_limits():
    return {"photo_limit": photos.MAX_PHOTOS, "photo_mb": photos.max_bytes() // (1024 * 1024)}


def _render_form(form):
    return render_template("complaints/new.html", form=form, hits=[], searched=False, **_photo_limits())


def _form(customer, formdata=None):
    """The form, with the order list of this customer; `?order=` and `?reason=late` fill in what is not typed."""
    wanted = normalise_number(request.args.get("order"))
    form = ComplaintForm(formdata=formdata)
    orders = service.recent_orders(customer, include_number=wanted or None)
    form.order.choices = [("", _("Not about a particular order"))] + [
        (o.number, service.order_label(o)) for o in orders]
    if not form.order.data and any(o.number == wanted for o in orders):
        form.order.data = wanted
    if formdata is None and request.args.get("description"):
        # Sent from the help center's dead ends: what the visitor searched for or read.
        form.description.data = request.args["description"][:MAX_PREFILL]
    if not form.category.data and request.args.get("reason") == "late":
        form.category.data = "late_or_lost"
    return form


@bp.get("/new")
def new():
    """The complaint form; `?order=` pre-fills the order and `&reason=late` the category."""
    customer = current_customer()
    if customer is None:
        return _sign_in_first()
    return _render_form(_form(customer))


@bp.get("/suggestions")
def suggest():
    """Help articles for what is typed so far: the region alone for htmx, else the form page with them."""
    customer = current_customer()
    if customer is None:
        return _sign_in_first()
    hits, cards = suggestions(request.args.get("description", ""))
    return render_fragment("complaints/new.html", "complaints/_suggestions.html",
                           form=_form(customer, formdata=request.args), hits=hits, cards=cards, searched=True,
                           **_photo_limits())


@bp.post("/solved")
def solved():
    """"This solved it": the search that found the article counts as a deflection; no case is filed."""
    slug = (request.form.get("slug") or "")[:120]
    article = help_service.article_by_slug(slug) if slug else None
    if article is not None:
        help_service.record_deflection(visitor_id(), article.slug)
        db.session.commit()
    return render_fragment("complaints/solved.html", "complaints/_solved.html", article=article)


@bp.post("/new")
def create():
    """File the complaint: triage decides whether a person answers at once."""
    if (request.content_length or 0) > photos.max_request_bytes():
        abort(413)
    customer = current_customer()
    if customer is None:
        return _sign_in_first()
    form = _form(customer, formdata=request.form)
    if not form.validate():
        return _render_form(form), 400
    sending = resubmits.key_for(customer.id, form.category.data, form.order.data, form.desired_outcome.data,
                                form.description.data)
    if not resubmits.claim(sending):
        earlier = resubmits.earlier_case(sending)
        if earlier is not None:
            flash(_("You sent this complaint a moment ago: it is %(reference)s.", reference=earlier), "info")
            return redirect(url_for("cases.detail", reference=earlier), 303)
    try:
        stored = photos.store_all(request.files.getlist("photos"))
    except photos.PhotoRefused as refused:
        resubmits.release(sending)
        form.photos_error = refused.message
        return _render_form(form), 413 if refused.too_large else 400
    order = service.find_order(customer, form.order.data)
    article = help_service.last_viewed_article(visitor_id())
    try:
        case = service.file_complaint(customer, form.category.data, form.description.data,
                                      form.desired_outcome.data, order=order, source_article=article,
                                      photos=stored)
        db.session.commit()
    except Exception:
        resubmits.release(sending)
        raise
    resubmits.filed(sending, case.reference)
    current_app.logger.info("complaint %s filed: %s", case.reference, case.urgency)
    flash(_("Thank you. Your complaint %(reference)s is with us.", reference=case.reference), "success")
    return redirect(url_for("cases.detail", reference=case.reference), 303)
