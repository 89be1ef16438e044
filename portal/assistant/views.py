"""The assistant's page and help-center panel: each message or button is a POST answered with the new turns.

With htmx the new turns are appended to the transcript and the action area (buttons, forms, the message box)
is replaced out of band; without JavaScript every POST redirects back to the conversation page.
"""

from flask import current_app, g, make_response, redirect, render_template, request, session, url_for

from portal.assistant import bp, service
from portal.auth.customers import current_customer
from portal.extensions import db, htmx, limiter
from portal.i18n import force_locale, locale_tag
from portal.i18n import lazy_gettext as _l
from portal.orders import service as orders
from portal.orders.views import GUEST_SESSION_KEY, _lookup_failed, _lookup_ip_key, _lookup_order_key
from portal.web import no_store, visitor_id

SESSION_KEY = "assistant"


def _session_key():
    return f"assistant-session:{visitor_id()}"


def _ip_key():
    return f"assistant-ip:{request.remote_addr or ''}"


def _limited(view):
    """Messages and buttons are limited per browser session and per address."""
    view = limiter.limit(lambda: current_app.config["ASSISTANT_LIMIT_PER_SESSION"], key_func=_session_key)(view)
    return limiter.limit(lambda: current_app.config["ASSISTANT_LIMIT_PER_IP"], key_func=_ip_key)(view)


def _conversation(create=False):
    """This browser's conversation (or the one named by ?c= after signing in), if this visitor may see it."""
    conversation = service.find(request.args.get("c") or session.get(SESSION_KEY), current_customer())
    if conversation is None and create:
        conversation = service.start(current_customer(), locale_tag())
    if conversation is not None:
        session[SESSION_KEY] = conversation.token
    return conversation


def _context(conversation, **extra):
    return {"conversation": conversation, "turns": conversation.turns if conversation else [],
            "offered": service.offered(conversation) if conversation else [],
            "customer": current_customer(), **extra}


def _page(conversation, status=200, **extra):
    return no_store((render_template("assistant/page.html", **_context(conversation, **extra)), status))


def _answer(conversation, new_turns, status=200, **extra):
    """The new turns for htmx; otherwise back to the page, at the latest message."""
    if htmx and not htmx.boosted:
        # The buttons and box under the answer speak the language the customer just wrote in.
        with force_locale(conversation.locale if conversation else locale_tag()):
            body = render_template("assistant/_turns.html", new_turns=new_turns, **_context(conversation, **extra))
        response = no_store((body, status))
        response.vary.add("HX-Request")
        return response
    if status >= 400:
        return _page(conversation, status=status, **extra)
    return redirect(url_for("assistant.page", _anchor="latest"), 303)


@bp.get("/")
def page():
    """The conversation so far, the buttons on offer and the message box."""
    conversation = _conversation()
    db.session.commit()  # a conversation claimed at sign-in is now the customer's
    return _page(conversation)


@bp.post("/")
@_limited
def message():
    """One customer message; the assistant's answer comes back with it."""
    text = request.form.get("message", "")
    try:
        service.check_message(text)
    except service.MessageRefused as refused:
        # Refused before anything is stored: a refusal never starts a conversation.
        return _answer(_conversation(), [], status=400, error=str(refused),
                       typed=text[:service.MAX_MESSAGE_CHARS * 2])
    conversation = _conversation(create=True)
    new_turns = service.answer(conversation, text, current_customer())
    db.session.commit()
    return _answer(conversation, new_turns)


@bp.post("/choose")
@_limited
def choose():
    """A button the assistant offered (yes/no, an order, an item, a person)."""
    conversation = _conversation()
    choice = request.form.get("choice", "")[:80]
    new_turns = service.choose(conversation, choice, current_customer()) if conversation else []
    if not new_turns:
        return _answer(conversation, [], status=409, error=service.stale_choice_text())
    db.session.commit()
    return _answer(conversation, new_turns)


@bp.post("/lookup")
@_limited
@limiter.limit(lambda: current_app.config["ORDER_LOOKUP_LIMIT_PER_IP"], key_func=_lookup_ip_key,
               deduct_when=_lookup_failed)
@limiter.limit(lambda: current_app.config["ORDER_LOOKUP_LIMIT_PER_ORDER"], key_func=_lookup_order_key,
               deduct_when=_lookup_failed)
def lookup():
    """A guest's order number and e-mail: the same check, answer and limits as guest tracking."""
    conversation = _conversation()
    if conversation is None:
        return _answer(None, [], status=409, error=service.stale_choice_text())
    before = len(conversation.turns)
    order = service.guest_lookup(conversation, request.form.get("number", "")[:80],
                                 request.form.get("email", "")[:320])
    if order is None:
        g.order_lookup_failed = True
    else:
        # The order page then opens for this browser too, as after guest tracking.
        session[GUEST_SESSION_KEY] = orders.remember_guest_order(session.get(GUEST_SESSION_KEY), order.id)
    db.session.commit()
    return _answer(conversation, conversation.turns[before:])


@bp.post("/return")
@_limited
def start_return():
    """Open the return wizard at step 2 with the order and the item the assistant checked already chosen."""
    conversation = _conversation()
    item_id = request.form.get("item", type=int)
    order = service.start_return(conversation, current_customer(), item_id) if conversation and item_id else None
    if order is None:
        return _answer(conversation, [], status=409, error=service.stale_choice_text())
    db.session.commit()
    target = url_for("returns.step", number=order.number, step=2)
    if htmx:
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


@bp.post("/new")
def restart():
    """Start a new conversation (the old one stays stored)."""
    session.pop(SESSION_KEY, None)
    return redirect(url_for("assistant.page"), 303)


@bp.app_context_processor
def _assistant_helpers():
    # The agent workspace and the lead dashboard show the assistant's part through a small include each.
    return {"assistant_conversation_for_case": service.conversation_for_case,
            "assistant_lead_figures": service.lead_figures}


HANDOVER_REASONS = {
    "asked": _l("the customer asked for a person"),
    "urgent": _l("the message reads as urgent"),
    "angry": _l("the customer reads as angry"),
    "not_helped": _l("the answers did not help twice"),
    "long": _l("the conversation went on too long"),
}


def assistant_reason(code):
    """A hand-over reason in the reader's words."""
    return HANDOVER_REASONS.get(code, HANDOVER_REASONS["asked"])
