"""The help assistant: reads what a customer writes, answers from the portal's own data, or hands over.

Each customer message becomes one turn, then the assistant's answer turns. An answer is written in the
language the customer wrote in and stored as shown (text plus data: an article passage, an order's
timeline, the buttons offered), so the agent who takes over reads exactly what the customer saw. Buttons
are accepted only while they are on offer: a posted choice the assistant did not offer does nothing.
"""

import contextlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import delete, func, select

from portal import order_lookup, settings
from portal.assistant import intents
from portal.casework import service as cases
from portal.complaints import service as complaints
from portal.complaints.triage import triage
from portal.extensions import db
from portal.formatting import format_date, format_datetime, money
from portal.help import search as help_search
from portal.help import service as help_service
from portal.i18n import force_locale, ngettext
from portal.i18n import gettext as _
from portal.models import Article, Case, Conversation, Order, OrderItem, Turn, utcnow
from portal.models.orders import IN_TRANSIT_STATUSES
from portal.orders import service as orders
from portal.returns import policy
from portal.returns import service as returns

MAX_MESSAGE_CHARS = 1000
MAX_TURNS = 200  # a conversation this long is not getting anywhere: the next message hands over
PASSAGE_CHARS = 420
MAX_CHOICES = 6
HANDOVER_AFTER_UNHELPFUL = 2
# A message with no letters in it (digits, emoji, punctuation) tells the assistant nothing.
_LETTER = re.compile(r"[^\W\d_]")
_CJK = re.compile(r"[\u3400-\u9fff]")
_ORDER_NUMBER = re.compile(r"#?\b([A-Za-z]{0,4}-?\d{4,}[A-Za-z0-9-]*)\b")
_PARAGRAPH = re.compile(r"\n\s*\n")
_TAGS = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+")
# The complaint category a hand-over files, by what the customer was asking about; it sets the least urgency.
HANDOVER_CATEGORY = {"refund_status": "refund_delay", "coupon": "coupon", "return_item": "not_working"}
REFUND_STATUSES = ("approved", "awaiting_item", "item_in_transit", "received", "refunded", "needs_review",
                   "escalated", "answered")


class MessageRefused(ValueError):
    """A message the assistant cannot read; the text says why, in the reader's language."""


# ---- Conversations ------------------------------------------------------------------------------------

def start(customer, locale):
    conversation = Conversation(token=secrets.token_hex(16), customer_id=customer.id if customer else None,
                                locale=locale, state={})
    db.session.add(conversation)
    db.session.flush()
    return conversation


def find(token, customer):
    """The conversation behind a browser's token if this visitor may continue it, else None.

    A signed-in customer continues their own, or claims one begun before signing in (the token is the
    proof: 128 random bits held by that browser alone). Nobody else reads a customer's conversation."""
    if not isinstance(token, str) or len(token) != 32:
        return None
    conversation = db.session.scalar(select(Conversation).where(Conversation.token == token))
    if conversation is None:
        return None
    if conversation.customer_id is None:
        if customer is not None:
            conversation.customer_id = customer.id
        return conversation
    return conversation if customer is not None and customer.id == conversation.customer_id else None


def language_of(text, default):
    """The language to answer in: the one the customer writes, else the page's."""
    if _CJK.search(text):
        return "zh"
    if re.search(r"[A-Za-z]", text):
        return "en"
    return default


def check_message(text):
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise MessageRefused(_("Please type your question first."))
    if len(text) > MAX_MESSAGE_CHARS:
        raise MessageRefused(_("Please keep your message under %(count)s characters: a sentence or two is "
                               "enough.", count=MAX_MESSAGE_CHARS))
    return text


def _say(conversation, text, intent="", **payload):
    turn = Turn(conversation=conversation, author="assistant", text=text, intent=intent, payload=payload,
                created_at=utcnow())
    db.session.add(turn)
    return turn


def _offer(conversation, *choices):
    state = dict(conversation.state or {})
    state["offered"] = list(choices)
    conversation.state = state


def _remember(conversation, **values):
    state = dict(conversation.state or {})
    state.update(values)
    conversation.state = state


def offered(conversation):
    return list((conversation.state or {}).get("offered", []))


# ---- One message ---------------------------------------------------------------------------------------

def answer(conversation, text, customer, now=None):
    """Store the customer's message and the assistant's answer; returns the new turns, oldest first."""
    now = now or utcnow()
    text = check_message(text)
    page_language = conversation.locale
    language = language_of(text, page_language)
    conversation.locale = language
    # The intent is read without order numbers: their digits say nothing about what is asked, yet moved the
    # message's vector enough to lose "where is order T000009" below the threshold.
    guess = intents.guess(_ORDER_NUMBER.sub(" ", text)) if _LETTER.search(text) else intents.Guess("", 0.0)
    mine = Turn(conversation=conversation, author="customer", text=text, intent=guess.intent,
                confidence=guess.score, created_at=now)
    db.session.add(mine)
    before = len(conversation.turns)
    # One flush at the end: the answer's reads (search hits, orders) need none of the turns written before them.
    with force_locale(language), db.session.no_autoflush:
        unclear = _respond(conversation, text, guess, customer, now) is NOTHING_TO_READ
    if unclear:
        # Nothing in it to read, so nothing says which language it is in: ask again in the page's.
        conversation.locale = page_language
        with force_locale(page_language):
            _unclear(conversation)
    conversation.updated_at = now
    db.session.flush()
    return conversation.turns[before - 1:]


def _unclear(conversation):
    _offer(conversation, "person")
    return _say(conversation, _("I could not read a question in that. Could you tell me in a few words what "
                                "you need? For example: “where is my parcel?”"), intent="unclear")


NOTHING_TO_READ = object()
# Reasons the model gives on its own: it reads every text as something, gibberish included.
_MODEL_REASONS = {"reads_like", "reads_angry", "low"}


def _nothing_to_read(text, guess, result, language):
    """Whether a message says nothing the portal can read: no clear intent beyond small talk, no word rule or
    fact behind its triage, and no word the help centre knows. The model alone reads "asdkj qwpoe" or "啊啊啊
    哦哦" as angry about as often as not, which is no reason to call a person."""
    if guess.intent not in ("", "greeting", "thanks"):
        return False
    if any(reason.code not in _MODEL_REASONS for reason in result.reasons):
        return False
    return not help_search.knows_words(text, language)


def _respond(conversation, text, guess, customer, now):
    """Say the answer, or return NOTHING_TO_READ for the caller to ask again."""
    if conversation.status == "handed_over":
        return _already_handed_over(conversation, text, now)
    if not _LETTER.search(text):
        return NOTHING_TO_READ
    meant = intents.intent(guess.intent)
    result = triage(text, "", None, customer, [], now=now)
    # "Where is my parcel?" is answered from the order's own events, the fact that says whether it is late or
    # lost; the text alone reading like a lost parcel is no reason to skip that answer.
    urgent = result.urgency == "high" and guess.intent != "order_status"
    if (urgent or result.angry) and _nothing_to_read(text, guess, result, conversation.locale):
        return NOTHING_TO_READ
    if urgent or result.angry or len(conversation.turns) > MAX_TURNS:
        # Asking for a person is the reason when nothing urgent was read: "I want a person" may sound curt.
        reason = ("urgent" if result.urgency == "high" else "asked" if guess.intent == "person"
                  else "angry" if result.angry else "long")
        # An urgent problem the bank recognises keeps its own category (a double charge stays one).
        return hand_over(conversation, customer, reason, now, category=meant.category if meant.handover else None)
    if meant.handover:
        return hand_over(conversation, customer, "urgent", now, category=meant.category)
    number = _order_number(text)
    if number and guess.intent in ("", "order_status", "question", "cancel_order", "change_address"):
        return _order_by_number(conversation, number, customer, now)
    handler = HANDLERS.get(guess.intent, _article_answer)
    return handler(conversation, text, customer, now)


def _order_number(text):
    match = _ORDER_NUMBER.search(text)
    return order_lookup.normalise_number(match.group(1)) if match else None


# ---- Help-center answers -------------------------------------------------------------------------------

def _passage(body, snippet):
    """The paragraph of the article that holds the sentence search found, not the whole article."""
    text = help_search.plain_text(body)
    sentence = " ".join(_TAGS.sub("", str(snippet)).split())[:60]
    paragraphs = [" ".join(p.split()) for p in _PARAGRAPH.split(text) if p.strip()]
    chosen = next((p for p in paragraphs if sentence and sentence in p), paragraphs[0] if paragraphs else "")
    return chosen if len(chosen) <= PASSAGE_CHARS else chosen[:PASSAGE_CHARS].rsplit(" ", 1)[0] + "…"


def _as_hit(article):
    return help_search.Hit(slug=article.slug, title=article.title, category=article.category,
                           scenario=article.scenario or "", locale=article.locale, snippet="", score=0.0)


def _best_hits(text, language, intent):
    """Search's hits for the message, best first. The intent's own scenario (its most read article in the
    customer's language) comes next, or first when search found nothing: the specific answer wins, the
    general one is the next thing to offer."""
    hits = list(help_search.search(text, language, limit=3).hits)
    scenario = intents.intent(intent).scenario
    if scenario and all(hit.scenario != scenario for hit in hits):
        article = db.session.scalar(help_service.published(language).where(Article.scenario == scenario)
                                    .order_by(Article.view_count.desc(), Article.id).limit(1))
        if article is not None:
            hits.insert(min(1, len(hits)), _as_hit(article))
    return hits


def _article_answer(conversation, text, customer, now, intent="question"):
    if not _with_article(conversation, text, intent):
        _offer(conversation, "person")
        return _say(conversation, _("I did not find an answer to that in our help center. Could you put it "
                                    "another way, or shall I pass you to a person?"), intent="no_answer")
    return conversation.turns[-1]


def _with_article(conversation, text, intent):
    """Show the best article's passage; False when the help center has nothing for the message."""
    hits = _best_hits(text, conversation.locale, intent)
    if not hits:
        return False
    _remember(conversation, articles=[hit.slug for hit in hits[1:]])
    _show_article(conversation, hits[0], intent)
    return True


def _show_article(conversation, hit, intent):
    article = help_service.article_by_slug(hit.slug)
    passage = _passage(article.body if article else "", hit.snippet)
    _remember(conversation, article=hit.slug)
    _offer(conversation, "yes", "no", "person")
    return _say(conversation, _("This is from our help article “%(title)s”:", title=hit.title), intent=intent,
                kind="article", slug=hit.slug, title=hit.title, passage=passage, ask_helpful=True)


def _next_article(conversation):
    state = conversation.state or {}
    remaining = list(state.get("articles", []))
    while remaining:
        slug = remaining.pop(0)
        article = help_service.article_by_slug(slug)
        if article is not None:
            _remember(conversation, articles=remaining)
            _say(conversation, _("Sorry about that. Perhaps this one is closer:"))
            return _show_article(conversation, _as_hit(article), "question")
    _offer(conversation, "person")
    return _say(conversation, _("Sorry, that did not help. Shall I pass you to a person, with everything you "
                                "wrote so far?"), intent="not_helped")


# ---- Orders ----------------------------------------------------------------------------------------------

def _order_payload(order):
    events = orders.timeline(order)[:8]
    return {
        "kind": "order", "number": order.number,
        "status": str(orders.STATUS_LABELS.get(order.status, "")),
        "estimated": format_date(order.estimated_delivery, "long") if order.estimated_delivery else "",
        "late": orders.is_late(order, utcnow()) is not None,
        "events": [{"label": str(orders.EVENT_LABELS.get(e.status, "")), "location": e.location,
                    "at": format_datetime(e.occurred_at, "medium"), "iso": e.occurred_at.isoformat()}
                   for e in events],
    }


def _show_order(conversation, order, intent="order_status"):
    _remember(conversation, order=order.number)
    payload = _order_payload(order)
    _offer(conversation, "yes", "no", "person")
    if payload["late"]:
        text = _("Order %(number)s is later than we promised. I am sorry. Here is where it is:", number=order.number)
    else:
        text = _("Order %(number)s: %(status)s.", number=order.number, status=payload["status"])
    return _say(conversation, text, intent=intent, ask_helpful=True, **payload)


def orders_in_flight(customer, limit=MAX_CHOICES):
    return db.session.scalars(
        select(Order).where(Order.customer_id == customer.id,
                            Order.status.in_(orders.NOT_SHIPPED_STATUSES + IN_TRANSIT_STATUSES))
        .order_by(Order.placed_at.desc(), Order.id.desc()).limit(limit)).all()


def _latest_order(customer):
    return db.session.scalar(select(Order).where(Order.customer_id == customer.id)
                             .order_by(Order.placed_at.desc(), Order.id.desc()).limit(1))


def _order_status(conversation, text, customer, now):
    if customer is None:
        helped = _with_article(conversation, text, "order_status")
        return _ask_guest_for_order(conversation, also_helpful=helped)
    moving = orders_in_flight(customer)
    if len(moving) > 1:
        _offer(conversation, *[f"order:{o.number}" for o in moving], "person")
        return _say(conversation, _("You have %(count)s orders on their way. Which one do you mean?",
                                    count=len(moving)), intent="order_status", kind="choices",
                    choices=[{"value": f"order:{o.number}", "label": _("Order %(number)s, %(date)s", number=o.number,
                                                                          date=format_date(o.placed_at, "medium"))}
                             for o in moving])
    order = moving[0] if moving else _latest_order(customer)
    if order is None:
        # The help center still answers the question asked ("when does an order usually ship?").
        helped = _with_article(conversation, text, "order_status")
        _offer(conversation, *(("yes", "no") if helped else ()), "person")
        return _say(conversation, _("I cannot find any orders on your account. If you ordered with another e-mail "
                                    "address, sign in with that one."), intent="order_status")
    return _show_order(conversation, order)


def _ask_guest_for_order(conversation, number="", also_helpful=False):
    _remember(conversation, awaiting="guest_order")
    _offer(conversation, *(("yes", "no") if also_helpful else ()), "person")
    return _say(conversation, _("I can look it up. Please give me the order number and the e-mail address you "
                                "ordered with (or sign in to see all your orders)."), intent="order_status",
                kind="guest_form", number=number, ask_helpful=also_helpful)


def _order_by_number(conversation, number, customer, now):
    if customer is None:
        return _ask_guest_for_order(conversation, number)
    order = order_lookup.find_for_customer(number, customer)
    if order is None:
        # The same words whether the order is someone else's or does not exist: nothing is revealed.
        _offer(conversation, "person")
        return _say(conversation, _("I could not find order %(number)s on your account. Please check the number "
                                    "in your order confirmation e-mail.", number=number), intent="order_status")
    return _show_order(conversation, order)


def guest_lookup(conversation, number, email, now=None):
    """A guest's order number and e-mail, checked like guest tracking; the order, or None for any mismatch."""
    now = now or utcnow()
    with force_locale(conversation.locale):
        if (conversation.state or {}).get("awaiting") != "guest_order":
            return None
        order = orders.find_for_guest(number, email)
        db.session.add(Turn(conversation=conversation, author="customer", created_at=now, intent="order_status",
                            confidence=1.0, text=_("Order %(number)s", number=order_lookup.normalise_number(number))))
        if order is None:
            _ask_guest_again(conversation)
            return None
        _remember(conversation, awaiting="")
        _show_order(conversation, order)
        conversation.updated_at = now
        return order


def _ask_guest_again(conversation):
    _offer(conversation, "person")
    _say(conversation, _("I could not find that order. Check the order number and the e-mail address you ordered "
                         "with, and try again."), intent="order_status", kind="guest_form", number="")


def _cancel_order(conversation, text, customer, now):
    if customer is None:
        helped = _with_article(conversation, text, "cancel_order")
        return _sign_in_needed(conversation, _("To cancel an order, please sign in first: then I can see your "
                                               "orders."), also_helpful=helped)
    in_flight = orders_in_flight(customer)
    cancellable = [o for o in in_flight if orders.can_cancel(o)]
    if not cancellable and any(o.cancel_requested_at for o in in_flight):
        # Asked already: the shop has not confirmed yet, and the order has not "left our warehouse".
        _offer(conversation, "person")
        return _say(conversation, _("You have already asked to cancel this order. We will e-mail you when the shop "
                                    "confirms."), intent="cancel_order", kind="cancel_requested", ask_helpful=True)
    if not cancellable:
        _offer(conversation, "yes", "no", "person")
        return _say(conversation, _("None of your orders can be cancelled any more: they have left our warehouse. "
                                    "You can return an order once it arrives."), intent="cancel_order",
                    kind="cancel_closed", ask_helpful=True)
    _offer(conversation, "person")
    return _say(conversation, _("These orders have not shipped yet, so you can still cancel them here:"),
                intent="cancel_order", kind="cancel",
                orders=[{"number": o.number, "date": format_date(o.placed_at, "medium")} for o in cancellable])


def _change_address(conversation, text, customer, now):
    waiting = [o for o in orders_in_flight(customer) if orders.can_cancel(o)] if customer else []
    if not waiting:
        return _article_answer(conversation, text, customer, now, intent="change_address")
    _remember(conversation, order=waiting[0].number)
    _offer(conversation, "person")
    return _say(conversation, _("Order %(number)s has not shipped yet, so we can still change its address. A person "
                                "does this for you: shall I pass it on, with the new address you write next?",
                                number=waiting[0].number), intent="change_address")


# ---- Returns and refunds ---------------------------------------------------------------------------------

def _candidate_items(customer):
    return [(order, item) for order in returns.delivered_orders(customer)[:MAX_CHOICES] for item in order.items]


def _mentioned(text, item):
    lowered = text.lower()
    if _CJK.search(item.name):
        return item.name in text
    return bool({w for w in _WORD.findall(item.name.lower()) if len(w) > 2} & set(_WORD.findall(lowered)))


def _return_item(conversation, text, customer, now):
    if customer is None:
        helped = _with_article(conversation, text, "return_item")
        return _sign_in_needed(conversation, _("To check whether an item can be returned, please sign in: then I "
                                               "can see what you bought and when it arrived."), also_helpful=helped)
    candidates = _candidate_items(customer)
    named = [pair for pair in candidates if _mentioned(text, pair[1])]
    chosen = named if len(named) == 1 else candidates if len(candidates) == 1 else []
    if chosen:
        return _return_check(conversation, *chosen[0], now)
    if not candidates:
        return _article_answer(conversation, text, customer, now, intent="return_item")
    shown = (named or candidates)[:MAX_CHOICES]
    _offer(conversation, *[f"item:{item.id}" for _order, item in shown], "person")
    return _say(conversation, _("Which item would you like to return?"), intent="return_item", kind="choices",
                choices=[{"value": f"item:{item.id}", "label": _("%(item)s (order %(number)s)", item=item.name,
                                                                 number=order.number)} for order, item in shown])


def _return_check(conversation, order, item, now):
    decision = policy.evaluate(order, item, None, now.date())
    fee, _customer_pays = policy.parcel_fee(order, "no_reason")
    parts = []
    if decision.eligible:
        parts.append(_("Yes, %(item)s can be returned.", item=item.name))
        parts.append(decision.reason)
        if decision.condition:
            parts.append(decision.condition)
        if fee and decision.code == "ok":
            parts.append(_("A return for a change of mind costs %(fee)s; faulty, damaged or wrong items are free.",
                           fee=money(fee, order.currency)))
        else:
            parts.append(_("The return is free."))
    else:
        parts.append(_("No, %(item)s cannot be returned as a change of mind.", item=item.name))
        parts.append(decision.reason)
    can_start = decision.eligible or decision.may_ask_anyway
    _remember(conversation, order=order.number)
    _offer(conversation, *([f"return:{item.id}"] if can_start else []), "yes", "no", "person")
    return _say(conversation, " ".join(str(p) for p in parts), intent="return_item", kind="return",
                number=order.number, item_id=item.id, item=item.name, eligible=decision.eligible,
                can_start=can_start, ask_helpful=True)


def start_return(conversation, customer, item_id, now=None):
    """Step 1 of the return wizard done for the item the assistant checked: the order to continue at step 2."""
    now = now or utcnow()
    if customer is None or f"return:{item_id}" not in offered(conversation):
        return None
    item = db.session.get(OrderItem, item_id)
    order = item.order if item is not None else None
    if order is None or order.customer_id != customer.id:
        return None
    returns.save_items(customer, order, {f"qty-{item.id}": "1"}, now.date())
    _remember(conversation, outcome="return_started")
    return order


def _refund_status(conversation, text, customer, now):
    case = None
    if customer is not None:
        case = db.session.scalar(select(Case).where(Case.customer_id == customer.id, Case.kind != "complaint",
                                                    Case.status.in_(REFUND_STATUSES))
                                 .order_by(Case.created_at.desc(), Case.id.desc()).limit(1))
    if case is None:
        return _article_answer(conversation, text, customer, now, intent="refund_status")
    amount = money(case.refund_estimate_cents, case.currency)
    days = policy.refund_days(case.refund_method or "original")
    if case.status == "refunded":
        text = _("Your refund of %(amount)s for %(reference)s has been paid. Card refunds can take a few more days "
                 "to show on your statement.", amount=amount, reference=case.reference)
    elif case.status == "received":
        text = ngettext("We received the item for %(reference)s. Your refund of %(amount)s is paid within "
                        "%(num)d day.",
                        "We received the item for %(reference)s. Your refund of %(amount)s is paid within "
                        "%(num)d days.", days, reference=case.reference, amount=amount)
    elif case.status in ("approved", "awaiting_item", "item_in_transit"):
        text = ngettext("Your return %(reference)s is approved. Once we receive the item, your refund of "
                        "%(amount)s is paid within %(num)d day.",
                        "Your return %(reference)s is approved. Once we receive the item, your refund of "
                        "%(amount)s is paid within %(num)d days.", days, reference=case.reference, amount=amount)
    else:
        text = _("A person is reviewing your request %(reference)s; the refund follows their decision.",
                 reference=case.reference)
    _offer(conversation, "yes", "no", "person")
    return _say(conversation, text, intent="refund_status", kind="case", reference=case.reference, ask_helpful=True)


# ---- Small talk --------------------------------------------------------------------------------------------

def _thanks(conversation, text, customer, now):
    resolve(conversation)
    _offer(conversation)
    return _say(conversation, _("Glad I could help. Ask me any time."), intent="thanks")


def _greeting(conversation, text, customer, now):
    _offer(conversation, "person")
    return _say(conversation, _("Hello! Ask me about your order, a return, a refund, a coupon, or anything in our "
                                "help center."), intent="greeting")


def resolve(conversation):
    if conversation.status == "open":
        conversation.status = "resolved"


def _not_helped(conversation, text, customer, now):
    conversation.unhelpful_count += 1
    if conversation.unhelpful_count >= HANDOVER_AFTER_UNHELPFUL:
        return hand_over(conversation, customer, "not_helped", now)
    return _next_article(conversation)


def _person(conversation, text, customer, now):
    return hand_over(conversation, customer, "asked", now)


HANDLERS = {
    "order_status": _order_status, "return_item": _return_item, "refund_status": _refund_status,
    "coupon": lambda c, t, cu, n: _article_answer(c, t, cu, n, intent="coupon"),
    "change_address": _change_address, "cancel_order": _cancel_order, "person": _person,
    "thanks": _thanks, "not_helped": _not_helped, "greeting": _greeting,
}


# ---- Buttons ------------------------------------------------------------------------------------------------

def choose(conversation, choice, customer, now=None):
    """A button the assistant offered; returns the new turns, or [] for a choice not on offer."""
    now = now or utcnow()
    if choice not in offered(conversation) or choice.startswith("return:"):
        return []
    before = len(conversation.turns)
    with force_locale(conversation.locale), db.session.no_autoflush:
        label = _choice_label(conversation, choice)
        db.session.add(Turn(conversation=conversation, author="customer", text=label, intent=f"choice:{choice}",
                            confidence=1.0, created_at=now))
        if conversation.status == "handed_over":
            _already_handed_over(conversation)
        elif choice == "yes":
            _thanks(conversation, label, customer, now)
        elif choice == "no":
            _not_helped(conversation, label, customer, now)
        elif choice == "person":
            hand_over(conversation, customer, "asked", now)
        elif choice.startswith("order:"):
            _order_by_number(conversation, choice[len("order:"):], customer, now)
        elif choice.startswith("item:"):
            _chosen_item(conversation, choice, customer, now)
    conversation.updated_at = now
    db.session.flush()
    return conversation.turns[before:]


def _choice_label(conversation, choice):
    fixed = {"yes": _("Yes, that answered it"), "no": _("No, that did not help"), "person": _("Talk to a person")}
    if choice in fixed:
        return fixed[choice]
    for turn in reversed(conversation.turns):
        for option in (turn.payload or {}).get("choices", []):
            if option["value"] == choice:
                return option["label"]
    return choice


def _chosen_item(conversation, choice, customer, now):
    item = db.session.get(OrderItem, int(choice[len("item:"):]))
    if customer is None or item is None or item.order.customer_id != customer.id:
        return None
    return _return_check(conversation, item.order, item, now)


# ---- Hand-over ---------------------------------------------------------------------------------------------

def _sign_in_needed(conversation, text, also_helpful=False):
    _remember(conversation, awaiting="sign_in")
    _offer(conversation, *(("yes", "no") if also_helpful else ()), "person")
    return _say(conversation, text, intent="sign_in", kind="sign_in", ask_helpful=also_helpful)


def _already_handed_over(conversation, text="", now=None):
    """What the customer adds after the hand-over goes on their case, where the person answers."""
    case = conversation.case
    reference = case.reference if case else ""
    if case is not None and text:
        # A closed case takes no more messages; the answer below says where to go.
        with contextlib.suppress(cases.ActionRefused):
            cases.customer_reply(case, text, now=now)
    _offer(conversation)
    return _say(conversation, _("A person has your conversation (case %(reference)s) and will answer you there. "
                                "You can add to it on the case page.", reference=reference),
                intent="handed_over", kind="case", reference=reference)


def _customer_words(conversation):
    return "\n".join(turn.text for turn in conversation.turns
                     if turn.author == "customer" and not turn.intent.startswith("choice:"))


def _handover_category(conversation, customer):
    last_intent = next((t.intent for t in reversed(conversation.turns)
                        if t.author == "customer" and t.intent and not t.intent.startswith("choice:")), "")
    number = (conversation.state or {}).get("order")
    order = order_lookup.find_for_customer(number, customer) if number else None
    if last_intent == "order_status" and order is not None and orders.is_late(order, utcnow()):
        return "late_or_lost", order
    return HANDOVER_CATEGORY.get(last_intent, "other"), order


def hand_over(conversation, customer, reason, now=None, category=None):
    """Open a triaged complaint with the customer's words and link this conversation to it; a guest is asked
    to sign in first (a case needs an account to answer on), and the conversation carries on after."""
    now = now or utcnow()
    conversation.handover_reason = reason
    if customer is None:
        return _sign_in_needed(conversation, _("I will pass this to a person with everything you wrote. So that they "
                                               "can answer you, please sign in with your e-mail address first (no "
                                               "password needed); this conversation continues after."))
    guessed, order = _handover_category(conversation, customer)
    category = category or guessed
    slug = (conversation.state or {}).get("article")
    article = help_service.article_by_slug(slug) if slug else None
    words = _customer_words(conversation)[:cases.MAX_MESSAGE_CHARS] or _("The customer asked for a person.")
    case = complaints.file_complaint(customer, category, words, "", order=order, source_article=article, now=now)
    if case.status == "acknowledged":
        # Asking the assistant for a person is asking for a person: the case does not wait for articles.
        cases.ask_for_a_person(case, now=now)
    conversation.case = case
    conversation.status = "handed_over"
    _offer(conversation)
    within = settings.response_promise(case.urgency)
    return _say(conversation, _("I have passed this to a person, with everything you wrote here: case "
                                "%(reference)s. We answer within %(time)s.", reference=case.reference, time=within),
                intent="handed_over", kind="case", reference=case.reference)


# ---- For agents, leads and the account ----------------------------------------------------------------------

def conversation_for_case(case):
    """The assistant conversation that opened `case`, or None."""
    return db.session.scalar(select(Conversation).where(Conversation.case_id == case.id).limit(1))


@dataclass(frozen=True)
class LeadFigures:
    conversations: int
    resolved: int
    handed_over: int
    reasons: list  # [(reason, count)], most first
    least_understood: list  # [(text, score)], lowest score first

    def rate(self, part):
        return round(100 * part / self.conversations) if self.conversations else None


def lead_figures(first, last, limit=10):
    """Resolution and hand-over rates, hand-over reasons and the messages understood least, for [first, last]."""
    start = _day_start(first)
    end = _day_start(last) + timedelta(days=1)
    in_period = (Conversation.created_at >= start, Conversation.created_at < end)
    counts = dict(db.session.execute(select(Conversation.status, func.count()).where(*in_period)
                                     .group_by(Conversation.status)).all())
    reasons = db.session.execute(
        select(Conversation.handover_reason, func.count()).where(*in_period, Conversation.status == "handed_over")
        .group_by(Conversation.handover_reason).order_by(func.count().desc())).all()
    weakest = db.session.execute(
        select(Turn.text, Turn.confidence).join(Conversation, Turn.conversation_id == Conversation.id)
        .where(*in_period, Turn.author == "customer", Turn.intent.not_like("choice:%"))
        .order_by(Turn.confidence, Turn.id).limit(limit)).all()
    return LeadFigures(conversations=sum(counts.values()), resolved=counts.get("resolved", 0),
                       handed_over=counts.get("handed_over", 0), reasons=[tuple(r) for r in reasons],
                       least_understood=[(text[:200], round(score, 2)) for text, score in weakest])


def _day_start(day):
    return datetime.combine(day, time(0), tzinfo=UTC)


def export_for(customer):
    """The customer's conversations with the assistant, for their data export."""
    rows = db.session.scalars(select(Conversation).where(Conversation.customer_id == customer.id)
                              .order_by(Conversation.created_at)).all()
    return [{"started_at": c.created_at.isoformat(), "status": c.status,
             "case": c.case.reference if c.case else None,
             "turns": [{"from": t.author, "text": t.text, "at": t.created_at.isoformat()} for t in c.turns]}
            for c in rows]


def forget(customer):
    """Delete the customer's conversations (account deletion): what they wrote is theirs."""
    db.session.execute(delete(Conversation).where(Conversation.customer_id == customer.id))


def stale_choice_text():
    return _("That choice is no longer open. Please type your question, or choose one of the buttons below.")
