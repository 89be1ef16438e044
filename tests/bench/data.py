"""Large synthetic data sets for the benchmarks: articles over a Zipf vocabulary, orders with carrier scans."""

import random
from datetime import timedelta

import click
from sqlalchemy import func, insert, select

from portal.demo import CARRIER_STEPS, CONTENT_DIR, PRODUCTS
from portal.extensions import db
from portal.help.importer import article_files
from portal.models import Article, Customer, Order, OrderItem, ShipmentEvent, utcnow


def zipf_vocabulary(rng, size=5000):
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
    words, weights = zipf_vocabulary(rng)
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
