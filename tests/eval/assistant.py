"""Replay the assistant's scenario set and print how often it reaches the outcome a good agent would.

    python -m tests.eval.assistant [--verbose] [--scenarios tests/eval/data/dev/assistant_dev.json]

Each scenario of assistant_scenarios.json runs against the real assistant (real model, the test FAQ corpus
indexed with Whoosh, a throwaway SQLite database), with the customer's orders built as it names them.
Printed per language: resolved without a person (the right outcome within 3 customer turns, no hand-over),
the right hand-over (urgent and angry ones on the first message), wrong outcomes, and dead ends (a
conversation left with neither an answer nor a way to a person), beside search alone (the top article).
The default set is the held-out one; tune on the development set (DEV_SCENARIOS) only.
"""

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import click

SCENARIOS = Path(__file__).with_name("assistant_scenarios.json")
DEV_SCENARIOS = Path(__file__).resolve().parent / "data" / "dev" / "assistant_dev.json"
FAQ_DIR = Path(__file__).resolve().parent.parent / "data" / "faq"
MAX_TURNS_TO_RESOLVE = 3
TARGET_RESOLVED = 0.80
TARGET_URGENT_FIRST = 0.95


def load_scenarios(path=SCENARIOS):
    return json.loads(Path(path).read_text(encoding="utf-8"))["scenarios"]


def _app(workdir):
    from portal import create_app
    from portal.extensions import db

    environ = {"SECRET_KEY": "eval", "DATABASE_URL": f"sqlite:///{workdir / 'eval.db'}",
               "REDIS_URL": "redis://127.0.0.1:1/0", "MAIL_URL": f"file://{workdir / 'mail'}",
               "SEARCH_INDEX_DIR": str(workdir / "search"), "UPLOAD_DIR": str(workdir / "uploads"),
               "PUBLIC_BASE_URL": "http://portal.test"}
    app = create_app({"ENVIRON": environ, "TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
    return app


def _index_corpus(app):
    from sqlalchemy import delete

    from portal.extensions import db
    from portal.help import defaults, search
    from portal.help.importer import article_files, import_files
    from portal.models import OutboxRow

    report = import_files(article_files(FAQ_DIR))
    if report.errors:
        sys.exit(f"the FAQ corpus did not import: {report.errors[:3]}")
    defaults.seed_defaults()
    db.session.execute(delete(OutboxRow))
    db.session.commit()
    search.clear_caches()
    search.rebuild(app)


class World:
    """The customer's orders as a scenario names them."""

    def __init__(self, counter):
        self.counter = counter

    def customer(self, locale):
        from portal.extensions import db
        from portal.models import Customer

        n = next(self.counter)
        customer = Customer(email=f"eval{n}@example.com", name=f"Eval Customer{n}", locale=locale, timezone="UTC")
        db.session.add(customer)
        db.session.flush()
        return customer

    def order(self, customer, status, days_ago=3, items=None, **values):
        from portal.extensions import db
        from portal.models import Order, OrderItem, ShipmentEvent, utcnow

        now = utcnow()
        n = next(self.counter)
        order = Order(number=f"E{n:06d}", customer_id=customer.id, status=status, currency="USD",
                      placed_at=now - timedelta(days=days_ago + 1), ship_by=now + timedelta(days=1),
                      shipping_name="Eval Customer", shipping_address="1 Test Street, Springfield", **values)
        for name, category, price in items or [("Cotton T-shirt", "apparel", 2000)]:
            order.items.append(OrderItem(sku=f"SKU-{n}-{name[:3]}", name=name, category=category, price_cents=price))
        if status in ("in_transit", "delivered"):
            order.shipped_at = now - timedelta(days=days_ago)
            order.events.append(ShipmentEvent(event_id=f"{order.number}-1", status="shipped", location="Leipzig",
                                              occurred_at=now - timedelta(days=days_ago)))
        if status == "delivered":
            order.delivered_at = now - timedelta(days=max(days_ago - 1, 0))
        order.total_cents = sum(i.price_cents for i in order.items)
        db.session.add(order)
        db.session.flush()
        return order

    def build(self, name, customer):
        from portal.extensions import db
        from portal.models import Case

        shoes = [("Running shoes", "shoes", 8000), ("Cotton T-shirt", "apparel", 2000)]
        if name == "one_in_transit":
            return self.order(customer, "in_transit")
        if name == "two_in_transit":
            self.order(customer, "in_transit", days_ago=4)
            return self.order(customer, "in_transit", days_ago=2)
        if name == "delivered":
            return self.order(customer, "delivered", items=shoes)
        if name == "delivered_old":
            return self.order(customer, "delivered", days_ago=90)
        if name == "delivered_underwear":
            return self.order(customer, "delivered", items=[("Cotton boxers 内裤", "underwear", 1500)])
        if name == "paid":
            return self.order(customer, "paid", days_ago=0)
        if name == "refund_received":
            order = self.order(customer, "delivered", items=shoes)
            db.session.add(Case(reference=f"C-EVAL{next(self.counter):04d}", kind="return", status="received",
                                customer_id=customer.id, order_id=order.id, refund_method="original",
                                refund_estimate_cents=8000, currency="USD"))
            return order
        return None


def _reached(expect, turns):
    """Whether the assistant turns show the outcome the scenario expects."""
    outcome = expect["outcome"]
    for turn in turns:
        data = turn.payload or {}
        kind = data.get("kind")
        if outcome == "article" and kind == "article" and data.get("slug") in expect["articles"]:
            return True
        if outcome == "order" and kind == "order":
            return True
        if outcome == "return" and kind == "return" and expect.get("eligible", data.get("eligible")) == \
                data.get("eligible"):
            return True
        if outcome == "refund" and kind == "case" and turn.intent == "refund_status":
            return True
        if outcome == "cancel" and kind == "cancel":
            return True
        if outcome == "cancel_refused" and kind == "cancel_closed":
            return True
        if outcome == "address" and turn.intent == "change_address" and not kind:
            return True
    return False


def _dead_end(conversation):
    from portal.assistant import service

    return conversation.status == "open" and "person" not in service.offered(conversation)


def replay(scenario, world):
    """(verdict, customer turns to the outcome, conversation) for one scenario; verdict is one of resolved,
    handover_right, handover_missed, wrong, handed_over_needlessly."""
    from portal.assistant import service
    from portal.extensions import db

    customer = world.customer(scenario["lang"])
    order = world.build(scenario["world"], customer)
    viewer = customer if scenario["signed_in"] else None
    conversation = service.start(viewer, scenario["lang"])
    expect = scenario["expect"]
    reached_at, handed_at = None, None
    for position, text in enumerate(scenario["turns"], start=1):
        text = text.replace("{number}", order.number if order else "E000000")
        if text.startswith("@"):
            options = service.offered(conversation)
            wanted = {"@no": "no", "@person": "person"}.get(text)
            choice = wanted if wanted in options else next((o for o in options if ":" in o), None)
            new = service.choose(conversation, choice, viewer) if choice else []
        else:
            new = service.answer(conversation, text, viewer)
        if (conversation.state or {}).get("awaiting") == "guest_order" and expect.get("follow_lookup") and order:
            position += 1
            before = len(conversation.turns)
            service.guest_lookup(conversation, order.number, customer.email)
            new = list(new) + conversation.turns[before:]
        if reached_at is None and _reached(expect, new):
            reached_at = position
        if handed_at is None and conversation.status == "handed_over":
            handed_at = position
    db.session.flush()
    if expect["outcome"] == "handover":
        right = handed_at is not None and (not expect.get("first") or handed_at == 1)
        if right and expect.get("urgency"):
            right = conversation.case is not None and conversation.case.urgency == expect["urgency"]
        return ("handover_right" if right else "handover_missed"), handed_at, conversation
    if handed_at is not None:
        return "handed_over_needlessly", handed_at, conversation
    if reached_at is not None and reached_at <= MAX_TURNS_TO_RESOLVE:
        return "resolved", reached_at, conversation
    return "wrong", None, conversation


def search_alone(scenario):
    """The baseline: the top search result for the first message, right only for an expected article."""
    from portal.help import search

    expect = scenario["expect"]
    if expect["outcome"] != "article":
        return False
    result = search.search(scenario["turns"][0], scenario["lang"], limit=1)
    return bool(result.hits) and result.hits[0].slug in expect["articles"]


def _pct(part, whole):
    return f"{100 * part / whole:5.1f} %" if whole else "    —"


def _share(row, part, whole):
    return f"{row[part]}/{row[whole]} {_pct(row[part], row[whole])}"


def _verdict(value, target):
    return "met" if value >= target else "MISSED"


def run(verbose=False, out=sys.stdout, path=SCENARIOS):
    import itertools

    from flask_babel import force_locale

    from portal import semantics
    from portal.extensions import db

    scenarios = load_scenarios(path)
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        with app.app_context():
            _index_corpus(app)
        world = World(itertools.count(1))
        stats = defaultdict(lambda: defaultdict(int))
        failures = []
        started = time.perf_counter()
        with click.progressbar(scenarios, label="scenarios", show_pos=True, file=sys.stderr) as bar:
            for scenario in bar:
                with app.test_request_context("/assistant/"), force_locale(scenario["lang"]):
                    verdict, _at, conversation = replay(scenario, world)
                    row = stats[scenario["lang"]]
                    row["scenarios"] += 1
                    expect = scenario["expect"]
                    if expect["outcome"] == "handover":
                        row["handover_expected"] += 1
                        row["urgent_expected"] += bool(expect.get("first") and (expect.get("urgency") or
                                                                                  expect.get("angry")))
                        if verdict == "handover_right":
                            row["handover_right"] += 1
                            row["urgent_first"] += bool(expect.get("urgency") or expect.get("angry"))
                    else:
                        row["self_service"] += 1
                        row["resolved"] += verdict == "resolved"
                    row["wrong"] += verdict in ("wrong", "handover_missed", "handed_over_needlessly")
                    row["dead_ends"] += _dead_end(conversation)
                    row["baseline"] += search_alone(scenario)
                    row["baseline_possible"] += expect["outcome"] == "article"
                    if verdict not in ("resolved", "handover_right"):
                        said = [f"{t.author}: {t.text[:70]} [{t.intent} {t.payload.get('kind', '')}]"
                                for t in conversation.turns]
                        failures.append((scenario["id"], verdict, expect, said))
                    db.session.rollback()
        elapsed = time.perf_counter() - started
    mode = "semantic" if semantics.available() else "lexical (model off)"
    print(f"Assistant scenarios ({Path(path).name}): {len(scenarios)} in {elapsed:.1f} s, intent by {mode}", file=out)
    print(f"{'':4}{'n':>4}  {'resolved (self-service)':>24}  {'right hand-over':>17}  {'urgent/angry 1st':>17}  "
          f"{'wrong':>6}  {'dead ends':>9}  {'search alone (articles / all)':>30}", file=out)
    for language, row in sorted(stats.items()):
        cells = [_share(row, "resolved", "self_service"), _share(row, "handover_right", "handover_expected"),
                 _share(row, "urgent_first", "urgent_expected")]
        print(f"{language:4}{row['scenarios']:>4}  {cells[0]:>24}  {cells[1]:>17}  {cells[2]:>17}  {row['wrong']:>6}  "
              f"{row['dead_ends']:>9}  {_share(row, 'baseline', 'baseline_possible'):>17} / "
              f"{_pct(row['baseline'], row['scenarios'])}", file=out)
    total = {key: sum(row[key] for row in stats.values()) for key in
             ("resolved", "self_service", "urgent_first", "urgent_expected", "dead_ends")}
    resolved = total["resolved"] / max(total["self_service"], 1)
    urgent = total["urgent_first"] / max(total["urgent_expected"], 1)
    print(f"targets: resolved ≥ {TARGET_RESOLVED:.0%}: {resolved:.1%} {_verdict(resolved, TARGET_RESOLVED)}; "
          f"urgent/angry handed over on the first message ≥ {TARGET_URGENT_FIRST:.0%}: {urgent:.1%} "
          f"{_verdict(urgent, TARGET_URGENT_FIRST)}; dead ends: {total['dead_ends']}", file=out)
    if verbose:
        for scenario_id, verdict, expect, said in failures:
            print(f"\n{scenario_id} {verdict}: expected {expect}", file=out)
            for line in said:
                print(f"    {line}", file=out)
    return stats


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="show each conversation that went wrong")
    parser.add_argument("--scenarios", type=Path, default=SCENARIOS, help="the scenario file to replay")
    arguments = parser.parse_args(argv)
    run(verbose=arguments.verbose, path=arguments.scenarios)


if __name__ == "__main__":
    main()
