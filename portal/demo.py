"""Demo data for `make run`: the demo shop, its customers, staff, orders, articles and service history."""

import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from portal.agent.canned import seed_canned_replies
from portal.casework.service import record_event
from portal.extensions import db
from portal.help import defaults as help_defaults
from portal.help.importer import article_files, import_files
from portal.models import (
    Article,
    ArticleFeedback,
    ArticleView,
    Callback,
    Case,
    CaseItem,
    CaseMessage,
    Customer,
    Order,
    OrderItem,
    SearchLog,
    ShipmentEvent,
    Staff,
    Survey,
    SurveyAnswer,
    utcnow,
)
from portal.returns import parcel
from portal.returns.policy import REPAIRABLE_CATEGORIES

CONTENT_DIR = Path(__file__).parent / "help" / "content"

DEMO_CUSTOMERS = [
    # email, name, phone, locale, timezone, tier
    ("alice@example.com", "Alice Martin", "+1 415 555 0134", "en", "America/New_York", "vip"),
    ("ben@example.com", "Ben Carter", "+44 20 7946 0321", "en", "Europe/London", "standard"),
    ("wei@example.com", "陈伟", "+86 138 0013 8000", "zh", "Asia/Shanghai", "standard"),
    ("sofia@example.com", "Sofia Rossi", "+39 06 5555 1234", "en", "Europe/Rome", "standard"),
]


@dataclass(frozen=True)
class DemoStaff:
    email: str
    name: str
    role: str
    password: str


# Demo accounts only: `make run` prints them; production staff are made with `flask staff create`.
DEMO_STAFF = [
    DemoStaff("agent@example.com", "Amy Agent", "agent", "agent-demo-2026"),
    DemoStaff("lead@example.com", "Lee Lead", "lead", "lead-demo-2026"),
    DemoStaff("admin@example.com", "Ada Admin", "admin", "admin-demo-2026"),
]

PRODUCTS = [
    # sku, name, category, price in cents, returnable
    ("TSH-001", "Organic cotton T-shirt", "apparel", 2400, True),
    ("JNS-014", "Slim-fit jeans", "apparel", 6900, True),
    ("DRS-220", "Linen summer dress", "apparel", 8900, True),
    ("SNK-310", "Running sneakers", "shoes", 11900, True),
    ("UND-005", "Cotton briefs, 3-pack", "underwear", 1900, False),
    ("MUG-102", "Stoneware mug set", "home", 3200, True),
    ("LMP-450", "Bedside lamp", "home", 5400, True),
    ("HPH-900", "Wireless headphones", "electronics", 19900, True),
    ("KTL-230", "Electric kettle", "electronics", 4500, True),
    ("SRM-017", "Vitamin C serum", "beauty", 3800, True),
    ("CRM-044", "Night cream", "beauty", 4200, True),
    ("PRT-777", "Custom name necklace", "custom", 7500, False),
]

CARRIER_STEPS = [
    ("label_created", "Shenzhen, CN", "Shipping label created"),
    ("shipped", "Shenzhen, CN", "Picked up by carrier"),
    ("in_transit", "Hong Kong, HK", "Departed sorting facility"),
    ("in_transit", "Los Angeles, US", "Arrived at destination hub"),
    ("out_for_delivery", "Local depot", "Out for delivery"),
    ("delivered", "Front door", "Delivered, left at front door"),
]

# (shipment state, days since order, how many carrier steps happened, note)
DEMO_ORDER_PLAN = [
    ("placed", 0, 0), ("placed", 1, 0), ("paid", 1, 0), ("paid", 2, 0),
    ("paid_overdue", 6, 0), ("paid_overdue", 9, 0),
    ("shipped", 2, 2), ("shipped", 3, 2),
    ("in_transit", 3, 3), ("in_transit", 4, 4), ("in_transit", 5, 4),
    ("in_transit_stalled", 12, 3), ("in_transit_stalled", 15, 4),
    ("out_for_delivery", 4, 5), ("out_for_delivery", 5, 5),
    ("delivery_exception", 8, 4),
    ("delivered", 3, 6), ("delivered", 4, 6), ("delivered", 5, 6), ("delivered", 6, 6),
    ("delivered", 8, 6), ("delivered", 10, 6), ("delivered", 14, 6), ("delivered", 20, 6),
    ("delivered", 25, 6), ("delivered", 32, 6), ("delivered", 40, 6), ("delivered", 60, 6),
    ("delivered", 90, 6), ("delivered", 7, 6),
    ("cancelled", 3, 0), ("cancelled", 20, 0),
    ("returned", 45, 6), ("returned", 70, 6),
    ("delivered_cross_border", 12, 6),
    ("in_transit", 2, 3), ("delivered", 9, 6), ("delivered", 18, 6), ("placed", 0, 0), ("paid", 0, 0),
]


def seed_staff():
    for person in DEMO_STAFF:
        staff = db.session.scalar(select(Staff).where(Staff.email == person.email))
        if staff is None:
            staff = Staff(email=person.email, name=person.name, role=person.role)
            staff.set_password(person.password)
            db.session.add(staff)


def seed_customers():
    customers = []
    for email, name, phone, locale, timezone, tier in DEMO_CUSTOMERS:
        customer = db.session.scalar(select(Customer).where(Customer.email == email))
        if customer is None:
            customer = Customer(email=email, name=name, phone=phone, locale=locale, timezone=timezone, tier=tier)
            db.session.add(customer)
        customers.append(customer)
    db.session.flush()
    return customers


def _build_order(number, customer, state, days_ago, steps, rng, now):
    placed = now - timedelta(days=days_ago, hours=rng.randint(1, 10))
    cross_border = state == "delivered_cross_border"
    status_by_state = {
        "paid_overdue": "paid", "in_transit_stalled": "in_transit", "delivered_cross_border": "delivered",
    }
    order = Order(
        number=number, customer_id=customer.id, status=status_by_state.get(state, state), currency="USD",
        placed_at=placed,
        ship_by=placed + timedelta(days=2), shipping_name=customer.name,
        shipping_address=("Via del Corso 12, 00186 Roma, Italy" if cross_border
                          else "1200 Market Street, Apt 5B, San Francisco, CA 94102"),
        shipping_phone=customer.phone, ship_country="IT" if cross_border else "US",
        cross_border=cross_border, carrier="SwiftPost" if steps else "",
        tracking_number=f"SP{number}US" if steps else "",
        estimated_delivery=(placed + timedelta(days=7 if not cross_border else 14)).date(),
    )
    chosen = rng.sample(PRODUCTS, k=rng.randint(1, 3))
    for sku, name, category, price, returnable in chosen:
        order.items.append(OrderItem(sku=sku, name=name, category=category, price_cents=price,
                                     qty=rng.choice((1, 1, 1, 2)), returnable=returnable))
    order.total_cents = sum(item.price_cents * item.qty for item in order.items)
    stalled = state == "in_transit_stalled"
    for index, (status, location, description) in enumerate(CARRIER_STEPS[:steps]):
        # A stalled parcel's events stop days ago; the others move along roughly a day a step.
        spacing = timedelta(hours=10 if stalled else max(1, days_ago * 24 // (steps + 1)))
        occurred = placed + timedelta(hours=6) + spacing * index
        order.events.append(ShipmentEvent(event_id=f"demo-{number}-{index}", status=status,
                                          location=location, description=description, occurred_at=occurred))
    if order.events:
        order.last_event_at = max(event.occurred_at for event in order.events)
        order.shipped_at = next((e.occurred_at for e in order.events if e.status == "shipped"), None)
    if order.status in ("delivered", "returned"):
        order.delivered_at = order.last_event_at
    if order.status == "cancelled":
        order.cancelled_at = placed + timedelta(hours=3)
    return order


def seed_orders(customers, now=None):
    """About 40 orders across every shipment state; order numbers are fixed so re-seeding adds nothing."""
    now = now or utcnow()
    rng = random.Random(2026)
    created = 0
    for index, (state, days_ago, steps) in enumerate(DEMO_ORDER_PLAN):
        number = f"{100101 + index}"
        customer = customers[3] if state == "delivered_cross_border" else customers[index % 3]
        if db.session.scalar(select(Order.id).where(Order.number == number)) is not None:
            continue
        db.session.add(_build_order(number, customer, state, days_ago, steps, rng, now))
        created += 1
    return created


def seed_articles(on_article=None):
    return import_files(article_files(CONTENT_DIR), on_article=on_article)


# (customer index, order status to pick, category, desired outcome, text): what the agents' queue opens with.
DEMO_COMPLAINTS = [
    (1, "in_transit", "late_or_lost", "explanation",
     "This is the THIRD time I ask where my parcel is!! It has not moved for days. Unacceptable."),
    (2, "delivered", "damaged_or_unsafe", "replacement", "收到的电水壶外壳裂开了，插电还有焦味，太差了！请尽快处理。"),
    (0, "delivered", "not_working", "repair",
     "The wireless headphones stopped connecting to my laptop after a week. Could you help me?"),
    (3, "delivered", "suggestion", "other", "It would be nice to choose a delivery time slot at checkout."),
]


def seed_cases(customers, now=None):
    """A few complaints filed through triage, so the agents' queue and the case pages are not empty."""
    from portal.complaints.service import file_complaint

    if db.session.scalar(select(func.count()).select_from(Case).where(
            Case.customer_id.in_([c.id for c in customers]))):
        return 0
    for index, status, category, outcome, text in DEMO_COMPLAINTS:
        customer = customers[index]
        order = db.session.scalar(select(Order).where(Order.customer_id == customer.id, Order.status == status)
                                  .order_by(Order.placed_at.desc()))
        file_complaint(customer, category, text, outcome, order=order, now=now)
    return len(DEMO_COMPLAINTS)


# ---- A month of service history, for the leads' dashboard ---------------------------------------------
# Rows are written directly with the models: going through the services would schedule e-mails (outbox rows)
# to the history's customers. Every history case is resolved or not escalated, so the agents' queue keeps
# only what seed_cases files.

# The history's cases are H-xxxxxxxx: finding one means the history is there, and seeding adds nothing.
HISTORY_PREFIX = "H-"
# Inside the dashboard's default 30 days whatever the hour: its first day starts at midnight UTC.
HISTORY_DAYS = 28

# Shoppers of their own file the history: on the demo customers it would flag them as churn risks, make
# their next complaint a "third contact" in triage and hold back their next survey (cooldown).
HISTORY_SHOPPERS = [
    # email, name, locale, timezone, tier
    ("maria.garcia@example.com", "María García", "en", "Europe/Madrid", "standard"),
    ("james.obrien@example.com", "James O'Brien", "en", "Europe/Dublin", "standard"),
    ("priya.nair@example.com", "Priya Nair", "en", "Asia/Kolkata", "vip"),
    ("tom.becker@example.com", "Tom Becker", "en", "Europe/Berlin", "standard"),
    ("emma.wilson@example.com", "Emma Wilson", "en", "America/Chicago", "standard"),
    ("lucas.silva@example.com", "Lucas Silva", "en", "America/Sao_Paulo", "standard"),
    ("hannah.kim@example.com", "Hannah Kim", "en", "America/Los_Angeles", "vip"),
    ("omar.haddad@example.com", "Omar Haddad", "en", "Asia/Dubai", "standard"),
    ("chloe.dubois@example.com", "Chloé Dubois", "en", "Europe/Paris", "standard"),
    ("noah.jensen@example.com", "Noah Jensen", "en", "Europe/Copenhagen", "standard"),
    ("grace.taylor@example.com", "Grace Taylor", "en", "Australia/Sydney", "standard"),
    ("daniel.moreno@example.com", "Daniel Moreno", "en", "America/Mexico_City", "standard"),
    ("olivia.brown@example.com", "Olivia Brown", "en", "America/New_York", "standard"),
    ("ethan.clark@example.com", "Ethan Clark", "en", "America/Denver", "standard"),
    ("sara.lindqvist@example.com", "Sara Lindqvist", "en", "Europe/Stockholm", "standard"),
    ("mateo.rossi@example.com", "Mateo Rossi", "en", "Europe/Rome", "standard"),
    ("aisha.bello@example.com", "Aisha Bello", "en", "Africa/Lagos", "standard"),
    ("liam.murphy@example.com", "Liam Murphy", "en", "Europe/London", "vip"),
    ("zhang.min@example.com", "张敏", "zh", "Asia/Shanghai", "standard"),
    ("li.na@example.com", "李娜", "zh", "Asia/Shanghai", "standard"),
    ("wang.lei@example.com", "王磊", "zh", "Asia/Shanghai", "vip"),
    ("liu.yang@example.com", "刘洋", "zh", "Asia/Shanghai", "standard"),
    ("chen.jing@example.com", "陈静", "zh", "Asia/Shanghai", "standard"),
    ("zhao.qiang@example.com", "赵强", "zh", "Asia/Shanghai", "standard"),
    ("sophie.martin@example.com", "Sophie Martin", "en", "Europe/Brussels", "standard"),
    ("jack.thompson@example.com", "Jack Thompson", "en", "America/Toronto", "standard"),
    ("isabel.costa@example.com", "Isabel Costa", "en", "Europe/Lisbon", "standard"),
    ("ryan.patel@example.com", "Ryan Patel", "en", "Europe/London", "standard"),
    ("mia.schneider@example.com", "Mia Schneider", "en", "Europe/Vienna", "standard"),
    ("leo.novak@example.com", "Leo Novák", "en", "Europe/Prague", "standard"),
    ("ava.johnson@example.com", "Ava Johnson", "en", "America/Phoenix", "vip"),
    ("yuki.tanaka@example.com", "Yuki Tanaka", "en", "Asia/Tokyo", "standard"),
    ("ben.adler@example.com", "Ben Adler", "en", "Europe/Zurich", "standard"),
    ("nora.eriksen@example.com", "Nora Eriksen", "en", "Europe/Oslo", "standard"),
    ("samuel.okafor@example.com", "Samuel Okafor", "en", "Europe/London", "standard"),
    ("lily.chen@example.com", "Lily Chen", "en", "America/Vancouver", "standard"),
    ("huang.wei@example.com", "黄伟", "zh", "Asia/Shanghai", "standard"),
    ("zhou.xin@example.com", "周欣", "zh", "Asia/Shanghai", "standard"),
    ("sun.li@example.com", "孙丽", "zh", "Asia/Shanghai", "standard"),
    ("xu.tao@example.com", "徐涛", "zh", "Asia/Shanghai", "vip"),
]

# (kind, category, weight). Returns use the return policy's reasons, complaints the complaint form's categories.
HISTORY_MIX = [
    ("return", "no_reason", 10), ("return", "size", 9), ("return", "quality", 5), ("return", "damaged", 3),
    ("return", "wrong_item", 3), ("exchange", "size", 6), ("exchange", "wrong_item", 2), ("repair", "quality", 5),
    ("complaint", "late_or_lost", 12), ("complaint", "damaged_or_unsafe", 4), ("complaint", "not_working", 4),
    ("complaint", "refund_delay", 4), ("complaint", "coupon", 4), ("complaint", "wrong_item", 2),
    ("complaint", "double_charge", 2), ("complaint", "service", 3), ("complaint", "suggestion", 3),
    ("complaint", "allergy_or_injury", 1),
]
HISTORY_CASES = 72
# A carrier hold-up in the last day: enough late-order complaints for the dashboard's spike alarm.
SPIKE_CASES = 4
# Complaints not about an order.
ORDERLESS_CATEGORIES = {"service", "suggestion"}
# What the customer wrote, by category: (English, Chinese).
CASE_TEXTS = {
    "no_reason": ("Changed my mind, it is not what I need.", "不太需要了，想退货。"),
    "size": ("Too small, I need one size up.", "尺码偏小，想换大一码。"),
    "quality": ("The seam came apart after two washes.", "洗了两次就开线了。"),
    "damaged": ("The box was crushed and the item is cracked.", "包装压坏了，东西有裂痕。"),
    "wrong_item": ("I received a different colour than I ordered.", "收到的颜色和下单的不一样。"),
    "late_or_lost": ("My parcel has not moved for days, where is it?", "物流好几天不动了，包裹到底在哪？"),
    "damaged_or_unsafe": ("The kettle arrived with a broken lid.", "电水壶盖子是坏的。"),
    "not_working": ("The headphones stopped working after a week.", "耳机用了一周就不工作了。"),
    "refund_delay": ("Still no refund, it has been over a week.", "退款一周多了还没到账。"),
    "coupon": ("My welcome coupon was not applied at checkout.", "新人优惠券结算时用不了。"),
    "double_charge": ("I was charged twice for the same order.", "同一个订单扣了两次款。"),
    "service": ("The courier was rude at my door.", "快递员态度很差。"),
    "suggestion": ("Please offer gift wrapping.", "希望可以提供礼品包装。"),
    "allergy_or_injury": ("The serum gave me a rash.", "用了精华液之后脸上起了红疹。"),
}
# The article read just before filing, for complaints that had one; the first one lets too many readers down.
SOURCE_ARTICLES = {
    "late_or_lost": ("parcel-marked-delivered-not-here", 0.9),
    "refund_delay": ("refund-is-taking-too-long", 0.3),
    "coupon": ("coupon-code-problems", 0.3),
    "not_working": ("device-not-working-first-steps", 0.3),
}
RESOLUTIONS = {
    # kind: (status, resolution type)
    "return": ("refunded", "refund"), "exchange": ("exchanged", "replacement"),
    "repair": ("repaired", "repair_booked"), "complaint": ("resolved", "explanation"),
}
FIRST_REPLIES = ("Thanks for telling us, I am looking into it now.", "感谢您的反馈，我正在为您处理。")

# Score weights 1..5: most answers are 4-5; a missed target or a late parcel makes a low score likelier.
SCORE_WEIGHTS = (2, 3, 8, 32, 55)
LET_DOWN_SCORE_WEIGHTS = (15, 25, 30, 20, 10)
# Survey comments by journey and mood: (English, Chinese), chosen in the customer's language.
SURVEY_COMMENTS = {
    ("return", "good"): [("Easy return, the label was ready in a minute.", "退货很方便，一分钟就拿到了退货单。"),
                         ("Refund arrived faster than promised.", "退款比承诺的还快，点赞。")],
    ("return", "neutral"): [("Fine in the end, but the refund took a while.", "最后解决了，就是退款等得有点久。")],
    ("return", "bad"): [("The refund took much longer than the page said.", "退款比页面上写的慢太多了。")],
    ("complaint", "good"): [("Quick and friendly, thank you!", "处理很快，服务很好！"),
                            ("Sorted in one reply, thanks.", "一次回复就解决了，谢谢。")],
    ("complaint", "neutral"): [("Solved, but I had to explain it twice.", "问题解决了，但是我解释了两遍。")],
    ("complaint", "bad"): [("Took far too long and nobody updated me.", "等了好几天才有人回复，太慢了。"),
                           ("The problem is not really fixed.", "问题没有真正解决。")],
    ("self_service", "good"): [("The suggested article fixed it, no waiting.", "推荐的文章就解决了，不用等客服。")],
    ("self_service", "neutral"): [("Found the answer myself in the end.", "最后还是自己找到了答案。")],
    ("self_service", "bad"): [("The article did not really help.", "推荐的文章没什么用。")],
}
# Unhappy customers say why more often than happy ones say thanks.
COMMENT_CHANCE = {"good": 0.3, "neutral": 0.5, "bad": 0.8}
# (query, locale, article a searcher may open or None when the search finds nothing, weight).
SEARCHES = [
    ("where is my order", "en", "where-is-my-order", 12), ("refund", "en", "when-will-i-get-my-refund", 10),
    ("return", "en", "how-returns-work", 9), ("delivered but not received", "en",
                                              "parcel-marked-delivered-not-here", 6),
    ("exchange size", "en", "swap-for-another-size-or-colour", 5), ("coupon", "en", "coupon-code-problems", 4),
    ("charged twice", "en", "double-charge-on-my-card", 3), ("warranty", "en", "book-a-warranty-repair", 3),
    ("退货", "zh", "zh-how-returns-work", 5), ("物流不动", "zh", "zh-parcel-not-moving", 4),
    ("退款进度", "zh", "zh-refund-progress", 4),
    ("klarna", "en", None, 4), ("gift wrap", "en", None, 3), ("student discount", "en", None, 3),
    ("price match", "en", None, 2), ("pay in instalments", "en", None, 2),
    ("货到付款", "zh", None, 3), ("花呗分期", "zh", None, 2),
]
SEARCH_COUNT = 180
# (article, readers over the month, share of voters who found it helpful), besides the readers from searches.
ARTICLE_READERS = [
    ("parcel-marked-delivered-not-here", 12, 0.3), ("where-is-my-order", 40, 0.85),
    ("how-returns-work", 35, 0.9), ("when-will-i-get-my-refund", 30, 0.8),
    ("refund-is-taking-too-long", 18, 0.6), ("coupon-code-problems", 15, 0.7),
    ("device-not-working-first-steps", 12, 0.65), ("zh-how-returns-work", 10, 0.9),
]


def seed_shoppers():
    """The customers who filed the service history; by e-mail, so seeding again finds them."""
    known = {c.email: c for c in db.session.scalars(
        select(Customer).where(Customer.email.in_([email for email, *_ in HISTORY_SHOPPERS])))}
    shoppers = []
    for email, name, locale, timezone, tier in HISTORY_SHOPPERS:
        shopper = known.get(email)
        if shopper is None:
            shopper = Customer(email=email, name=name, locale=locale, timezone=timezone, tier=tier,
                               phone="+86 139 0000 0000" if locale == "zh" else "+1 555 0100")
            db.session.add(shopper)
        shoppers.append(shopper)
    db.session.flush()
    return shoppers


def _history_order(number, customer, product, delivered_at, late, rng):
    """A delivered order: shipped on time, or `late` (after its ship-by time), so CSAT by lateness has both."""
    sku, name, category, price, returnable = product
    shipped_at = delivered_at - timedelta(days=rng.uniform(2, 4))
    placed_at = shipped_at - timedelta(days=rng.uniform(2.5, 5) if late else rng.uniform(0.2, 1.5))
    order = Order(number=number, customer_id=customer.id, status="delivered", currency="USD", total_cents=price,
                  shipping_name=customer.name, shipping_address="1 Demo Street, Springfield",
                  shipping_phone=customer.phone, carrier="SwiftPost", tracking_number=f"SP{number}",
                  placed_at=placed_at, ship_by=placed_at + timedelta(days=2), shipped_at=shipped_at,
                  estimated_delivery=(placed_at + timedelta(days=7)).date(), delivered_at=delivered_at,
                  last_event_at=delivered_at)
    order.items.append(OrderItem(sku=sku, name=name, category=category, price_cents=price, qty=1,
                                 returnable=returnable))
    return order


def _plan_cases(rng, now):
    """(kind, category, created_at) of each history case, oldest first: the month's mix plus the spike."""
    kinds = rng.choices([(kind, category) for kind, category, _ in HISTORY_MIX],
                        weights=[weight for *_, weight in HISTORY_MIX], k=HISTORY_CASES)
    # Not in the last day, where the spike is: a stray case there would blur it.
    plan = [(kind, category, now - timedelta(days=rng.uniform(1, HISTORY_DAYS))) for kind, category in kinds]
    plan += [("complaint", "late_or_lost", now - timedelta(hours=rng.uniform(5, 20))) for _ in range(SPIKE_CASES)]
    return sorted(plan, key=lambda row: row[2])


def _route(kind, category, rng):
    """(urgency, escalated) as triage or the return policy would have decided."""
    from portal.complaints.triage import CATEGORY_URGENCY
    from portal.returns.policy import REASONS

    if kind != "complaint":
        if kind != "repair" and REASONS[category].automatic:
            return "low", False
        return ("high" if category == "damaged" else "medium"), True
    urgency = CATEGORY_URGENCY[category]
    # High urgency goes to an agent at once; of the acknowledged rest, a third still asked for a person.
    return urgency, urgency == "high" or rng.random() < 0.35


def _event(case, old, new, when, staff=None, reason=""):
    record_event(case, "status", old, new, staff=staff, reason=reason, now=when)


def _escalated_times(case, rng, config, now):
    """First response and resolution against the SLA targets; about one in eight misses one of them."""
    first_target = config["SLA_FIRST_RESPONSE"][case.urgency]
    resolution_target = config["SLA_RESOLUTION"][case.urgency]
    case.first_response_due = case.created_at + first_target
    case.first_response_breached = rng.random() < 0.12
    case.first_response_at = case.created_at + first_target * (
        rng.uniform(1.1, 1.8) if case.first_response_breached else rng.uniform(0.15, 0.9))
    misses_resolution = rng.random() < 0.12
    resolved_at = case.created_at + resolution_target * (
        rng.uniform(1.05, 1.6) if misses_resolution else rng.uniform(0.1, 0.85))
    case.resolved_at = min(max(resolved_at, case.first_response_at + timedelta(minutes=20)),
                           now - timedelta(minutes=30))
    case.resolution_breached = case.resolved_at > case.resolution_due


def _build_case(reference, kind, category, created_at, customer, order, agent, rng, config, now):
    urgency, escalated = _route(kind, category, rng)
    english, chinese = CASE_TEXTS[category]
    case = Case(reference=reference, kind=kind, customer_id=customer.id, order_id=order.id if order else None,
                category=category, description=chinese if customer.locale == "zh" else english,
                currency="USD", urgency=urgency, escalated=escalated, created_at=created_at,
                updated_at=created_at, resolution_due=created_at + config["SLA_RESOLUTION"][urgency])
    if order is not None and kind != "complaint":
        case.items.append(CaseItem(order_item_id=order.items[0].id, qty=1))
    status, resolution_type = RESOLUTIONS[kind]
    _event(case, "", "submitted", created_at)
    if escalated:
        case.escalated_at, case.assignee_id = created_at, agent.id
        _escalated_times(case, rng, config, now)
        case.messages.append(CaseMessage(author_type="agent", staff_id=agent.id, created_at=case.first_response_at,
                                         body=FIRST_REPLIES[customer.locale == "zh"]))
        if kind == "complaint":
            _event(case, "submitted", "escalated", created_at)
        else:
            _event(case, "submitted", "needs_review", created_at)
            _event(case, "needs_review", "approved", case.first_response_at, staff=agent)
        case.status, case.resolution_type = status, resolution_type
        _event(case, case.events[-1].new_value, status, case.resolved_at, staff=agent)
    elif kind == "complaint":
        # Solved by a suggested article, well before the first-response target.
        case.first_response_due = created_at + config["SLA_FIRST_RESPONSE"][urgency]
        case.resolved_at = created_at + timedelta(minutes=rng.uniform(5, 240))
        case.status = "resolved"
        _event(case, "submitted", "acknowledged", created_at)
        _event(case, "acknowledged", "resolved", case.resolved_at, reason="solved by a suggested article")
    else:
        # Approved by the policy; refunded once the parcel is back, about a week later.
        back = created_at + timedelta(days=rng.uniform(4, 9))
        _event(case, "submitted", "approved", created_at, reason="approved by the return policy")
        case.return_label = parcel.rma_for(case)
        if back < now:
            case.status, case.resolution_type, case.resolved_at = status, resolution_type, back
            _event(case, "approved", status, back)
        else:
            case.status = "awaiting_item"
            case.return_label, case.drop_off_due = parcel.rma_for(case), parcel.drop_off_deadline(created_at)
            _event(case, "approved", "awaiting_item", created_at + timedelta(hours=1))
    case.updated_at = case.resolved_at or created_at
    return case


def _answer(case, sent_at, rng, now):
    """The customer's answer a few hours after the invitation, or None when they never answered."""
    answered_at = sent_at + timedelta(hours=rng.uniform(0.3, 30))
    if rng.random() < 0.15 or answered_at > now:
        return None
    shipped_late = case.order is not None and case.order.shipped_at > case.order.ship_by
    let_down = case.first_response_breached or case.resolution_breached or shipped_late
    score = rng.choices((1, 2, 3, 4, 5), weights=LET_DOWN_SCORE_WEIGHTS if let_down else SCORE_WEIGHTS)[0]
    mood = "good" if score >= 4 else "neutral" if score == 3 else "bad"
    journey = "return" if case.kind != "complaint" else "complaint" if case.escalated else "self_service"
    english, chinese = rng.choice(SURVEY_COMMENTS[journey, mood])
    comment = (chinese if case.customer.locale == "zh" else english) if rng.random() < COMMENT_CHANCE[mood] else ""
    near = min(5, max(1, score + rng.choice((-1, 0, 0, 1))))
    return SurveyAnswer(
        score=score, ces=min(7, max(1, score + 2 + rng.choice((-1, 0, 1)))), speed=near,
        attitude=min(5, max(1, score + rng.choice((0, 0, 1)))), solved=score >= 3 or rng.random() < 0.3,
        nps=min(10, max(0, score * 2 + rng.choice((-2, -1, 0, 0, 1)))), comment=comment, answered_at=answered_at,
        updated_at=answered_at)


def _add_surveys(cases, rng, config, now):
    """Invitations an hour after each resolution (one per customer per cooldown), most of them answered."""
    last_sent = {}
    answers = []
    for case in sorted((c for c in cases if c.resolved_at is not None), key=lambda c: c.resolved_at):
        sent_at = case.resolved_at + config["SURVEY_DELAY"]
        previous = last_sent.get(case.customer_id)
        if sent_at > now or (previous and sent_at - previous < config["SURVEY_COOLDOWN"]) or rng.random() < 0.1:
            continue
        last_sent[case.customer_id] = sent_at
        survey = Survey(case_id=case.id, customer_id=case.customer_id, sent_at=sent_at, created_at=sent_at,
                        expires_at=sent_at + config["SURVEY_LINK_LIFETIME"])
        survey.answer = _answer(case, sent_at, rng, now)
        if survey.answer is None and now - sent_at > config["SURVEY_REMINDER_DELAY"]:
            survey.reminder_sent_at = sent_at + config["SURVEY_REMINDER_DELAY"]
        db.session.add(survey)
        if survey.answer is not None:
            answers.append((survey.answer, case))
    return answers


def _add_low_rating_callback(answers, config, now):
    """The newest rating of 1-2 waits for an agent's call, as the survey journey arranges; moved to later
    today, as an agent does when the customer asks for another time, so the demo shows it due, not overdue."""
    low = [(answer, case) for answer, case in answers if answer.score <= 2]
    if not low:
        return
    answer, case = max(low, key=lambda pair: pair[0].answered_at)
    db.session.add(Callback(case_id=case.id, customer_id=case.customer_id, reason="low_rating",
                            phone=case.customer.phone, created_at=answer.answered_at,
                            due_at=max(answer.answered_at + config["CALLBACK_DUE"], now + timedelta(hours=3))))


def _visitor(rng):
    return f"hv-{rng.getrandbits(64):016x}"


def _add_searches(rng, now):
    """The month's search log: found and clicked, found and left, and the ones that find nothing."""
    readers = []
    for _ in range(SEARCH_COUNT):
        query, locale, slug, _weight = rng.choices(SEARCHES, weights=[row[3] for row in SEARCHES])[0]
        when = now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
        session_id = _visitor(rng)
        clicked = slug if slug and rng.random() < 0.6 else None
        # "This solved it" after opening a result: the contact never became a case.
        deflected = clicked is not None and rng.random() < 0.4
        db.session.add(SearchLog(query=query, locale=locale, hits=rng.randint(2, 9) if slug else 0,
                                 clicked_slug=clicked, deflected=deflected, session_id=session_id,
                                 created_at=when))
        if clicked:
            readers.append((clicked, session_id, when, deflected))
    return readers


def _add_readers(articles, search_readers, rng, now):
    """Views and votes on the popular articles; the counters on each article follow the rows."""
    readers = list(search_readers)
    for slug, count, _helpful in ARTICLE_READERS:
        readers += [(slug, _visitor(rng), now - timedelta(days=rng.uniform(0, HISTORY_DAYS)), None)
                    for _ in range(count)]
    helpful_share = {slug: share for slug, _count, share in ARTICLE_READERS}
    for slug, visitor, when, deflected in readers:
        article = articles.get(slug)
        if article is None:
            continue
        db.session.add(ArticleView(article_id=article.id, visitor_id=visitor, viewed_at=when))
        article.view_count += 1
        if deflected or (deflected is None and rng.random() < 0.4):
            helpful = deflected or rng.random() < helpful_share.get(slug, 0.8)
            db.session.add(ArticleFeedback(article_id=article.id, visitor_id=visitor, helpful=helpful,
                                           created_at=when))
            if helpful:
                article.helpful_count += 1
            else:
                article.unhelpful_count += 1


def _reference(rng, taken):
    from portal.casework.service import REFERENCE_ALPHABET, REFERENCE_LENGTH

    while True:
        reference = HISTORY_PREFIX + "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
        if reference not in taken:
            taken.add(reference)
            return reference


def seed_service_history(customers, now=None):
    """A month of resolved cases, surveys, searches and article readers by `customers`, so the leads'
    dashboard has figures; returns the cases added (none when the history is there already)."""
    if db.session.scalar(select(Case.id).where(Case.reference.like(f"{HISTORY_PREFIX}%")).limit(1)):
        return 0
    from flask import current_app

    config = current_app.config
    now = now or utcnow()
    rng = random.Random(2030)
    agent = db.session.scalar(select(Staff).where(Staff.email == DEMO_STAFF[0].email))
    articles = {a.slug: a for a in db.session.scalars(select(Article).where(Article.slug.in_(
        [slug for slug, *_ in ARTICLE_READERS] + [slug for slug, _share in SOURCE_ARTICLES.values()])))}
    cases, taken = [], set()
    for index, (kind, category, created_at) in enumerate(_plan_cases(rng, now)):
        customer = customers[rng.randrange(len(customers))]
        order = None
        if category not in ORDERLESS_CATEGORIES:
            returnable = [p for p in PRODUCTS if p[4]] if kind != "complaint" else PRODUCTS
            late = rng.random() < (0.7 if category == "late_or_lost" else 0.15)
            # A late parcel arrives after its complaint; the rest are complained about once they are in.
            delivered_at = (min(created_at + timedelta(hours=rng.uniform(12, 48)), now - timedelta(hours=1))
                            if category == "late_or_lost" else created_at - timedelta(hours=rng.uniform(6, 72)))
            product = rng.choice(returnable)
            if kind == "repair":
                # Only electronics are repaired; picked without another draw, so the rest of the history is unchanged.
                repairable = [p for p in PRODUCTS if p[2] in REPAIRABLE_CATEGORIES]
                product = repairable[PRODUCTS.index(product) % len(repairable)]
            order = _history_order(f"H{200101 + index}", customer, product, delivered_at, late, rng)
            db.session.add(order)
            db.session.flush()
        case = _build_case(_reference(rng, taken), kind, category, created_at, customer, order, agent, rng,
                           config, now)
        source = SOURCE_ARTICLES.get(category) if kind == "complaint" else None
        if source and source[0] in articles and rng.random() < source[1]:
            case.source_article_id = articles[source[0]].id
            articles[source[0]].escalation_count += 1
        db.session.add(case)
        cases.append(case)
    db.session.flush()
    _add_low_rating_callback(_add_surveys(cases, rng, config, now), config, now)
    _add_readers(articles, _add_searches(rng, now), rng, now)
    db.session.flush()
    return len(cases)


def seed_demo():
    """Everything `make run` shows: idempotent, so running it again changes nothing."""
    seed_staff()
    customers = seed_customers()
    orders = seed_orders(customers)
    report = seed_articles()
    help_defaults.seed_defaults()
    seed_canned_replies()
    db.session.flush()
    seed_cases(customers)
    seed_service_history(seed_shoppers())
    db.session.commit()
    return {"customers": len(customers), "orders_created": orders, "articles": report}
