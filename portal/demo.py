"""Demo data for `make run`, and large synthetic data sets for the benchmarks."""

import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import click
from sqlalchemy import func, insert, select

from portal.agent.canned import seed_canned_replies
from portal.extensions import db
from portal.help import defaults as help_defaults
from portal.help.importer import article_files, import_files
from portal.models import Article, Case, Customer, Order, OrderItem, ShipmentEvent, Staff, utcnow

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
    order = Order(
        number=number, customer_id=customer.id, currency="USD", placed_at=placed,
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
    status_by_state = {
        "paid_overdue": "paid", "in_transit_stalled": "in_transit", "delivered_cross_border": "delivered",
    }
    order.status = status_by_state.get(state, state)
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
    db.session.commit()
    return {"customers": len(customers), "orders_created": orders, "articles": report}


# ---- Synthetic data for benchmarks -------------------------------------------------------------

def _zipf_vocabulary(rng, size=5000):
    """Real help-center words first (the frequent ones), then made-up words for the long tail."""
    words = []
    seen = set()
    for path in article_files(CONTENT_DIR):
        for word in path.read_text(encoding="utf-8").lower().split():
            word = "".join(ch for ch in word if ch.isalpha())
            if 3 <= len(word) <= 12 and word.isascii() and word not in seen:
                seen.add(word)
                words.append(word)
    syllables = ["ka", "lo", "mi", "ren", "tor", "vex", "sa", "qui", "zen", "dal", "po", "fen"]
    while len(words) < size:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    return words, weights


def generate_articles(count, words_per_article=200, seed=7):
    """Add `count` synthetic English articles (slugs synthetic-N), with a progress bar."""
    from portal.models.knowledge import CATEGORIES

    rng = random.Random(seed)
    words, weights = _zipf_vocabulary(rng)
    start = db.session.scalar(select(func.count()).select_from(Article).where(Article.slug.like("synthetic-%")))
    now = utcnow()
    batch = []
    with click.progressbar(range(start, start + count), label="articles", show_pos=True) as bar:
        for n in bar:
            body_words = rng.choices(words, weights=weights, k=words_per_article)
            title_words = rng.choices(words, weights=weights, k=6)
            batch.append({
                "slug": f"synthetic-{n:06d}", "locale": "en", "title": " ".join(title_words).capitalize(),
                "body": " ".join(body_words), "category": rng.choice(CATEGORIES),
                "scenario": f"synthetic-{n % 50}", "keywords": rng.choices(words[:500], k=4),
                "translation_of": None, "published": True, "view_count": 0, "helpful_count": 0,
                "unhelpful_count": 0, "escalation_count": 0, "created_at": now, "updated_at": now,
            })
            if len(batch) == 2000:
                db.session.execute(insert(Article), batch)
                batch = []
    if batch:
        db.session.execute(insert(Article), batch)
    db.session.commit()
    return count


def generate_orders(count, max_events_per_order=6, seed=11, min_events_per_order=0):
    """Add `count` synthetic orders with items and shipment events, in bulk, with a progress bar."""
    rng = random.Random(seed)
    now = utcnow()
    customer_count = max(1, count // 5)
    existing = db.session.scalar(select(func.count()).select_from(Customer).where(
        Customer.email.like("bench-%@example.com")))
    new_customers = [
        {"email": f"bench-{n}@example.com", "name": f"Bench Customer {n}", "phone": "+1 555 0100",
         "locale": "en", "timezone": "UTC", "tier": "vip" if n % 50 == 0 else "standard",
         "feedback_mail_opt_out": False, "created_at": now}
        for n in range(existing, customer_count)
    ]
    for chunk_start in range(0, len(new_customers), 5000):
        db.session.execute(insert(Customer), new_customers[chunk_start:chunk_start + 5000])
    customer_ids = db.session.scalars(
        select(Customer.id).where(Customer.email.like("bench-%@example.com")).order_by(Customer.id)
    ).all()
    first_id = (db.session.scalar(select(func.max(Order.id))) or 0) + 1
    first_item_id = (db.session.scalar(select(func.max(OrderItem.id))) or 0) + 1
    orders, items, events = [], [], []

    def flush():
        db.session.execute(insert(Order), orders)
        db.session.execute(insert(OrderItem), items)
        db.session.execute(insert(ShipmentEvent), events)
        db.session.commit()
        orders.clear()
        items.clear()
        events.clear()

    with click.progressbar(range(count), label="orders", show_pos=True) as bar:
        for n in bar:
            order_id = first_id + n
            placed = now - timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 1440))
            steps = rng.randint(min_events_per_order, min(max_events_per_order, len(CARRIER_STEPS)))
            product = rng.choice(PRODUCTS)
            last_event = placed + timedelta(hours=12 * steps) if steps else None
            status = {"label_created": "paid"}.get(CARRIER_STEPS[steps - 1][0], CARRIER_STEPS[steps - 1][0]) \
                if steps else "paid"
            orders.append({
                "id": order_id, "number": f"B{order_id:09d}", "customer_id": rng.choice(customer_ids),
                "status": status, "currency": "USD", "total_cents": product[3], "shipping_name": "Bench",
                "shipping_address": "1 Test Street, Springfield", "shipping_phone": "+1 555 0100",
                "ship_country": "US", "cross_border": False, "carrier": "SwiftPost",
                "tracking_number": f"SPB{order_id}", "placed_at": placed, "ship_by": placed + timedelta(days=2),
                "shipped_at": placed + timedelta(hours=12) if steps >= 2 else None,
                "estimated_delivery": (placed + timedelta(days=7)).date(),
                "delivered_at": last_event if status == "delivered" else None,
                "last_event_at": last_event, "updated_at": now,
            })
            items.append({"id": first_item_id + n, "order_id": order_id, "sku": product[0], "name": product[1],
                          "category": product[2], "price_cents": product[3], "qty": 1,
                          "returnable": product[4]})
            for index in range(steps):
                status_name, location, description = CARRIER_STEPS[index]
                events.append({"order_id": order_id, "event_id": f"bench-{order_id}-{index}",
                               "status": status_name, "location": location, "description": description,
                               "occurred_at": placed + timedelta(hours=12 * (index + 1)), "received_at": now})
            if len(orders) == 20000:  # big batches: a million orders in minutes, not hours
                flush()
    if orders:
        flush()
    return count
