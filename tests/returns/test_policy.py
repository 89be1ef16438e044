"""The return policy table: every reason × window edge × category, cross-border, fees and refunds."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from portal import settings as portal_settings
from portal.returns import policy
from portal.returns.policy import PolicySettings, evaluate
from tests.cases.helpers import delivered_order
from tests.conftest import make_app
from tests.orders.helpers import sign_in_as

SETTINGS = PolicySettings(change_of_mind_days=7, quality_days=30, cross_border_days=14, change_of_mind_fee_cents=500,
                          cross_border_shipping_cents=1500, refund_days={"original": 10, "store_credit": 1},
                          high_value_cents=50_000)
DELIVERED = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
CATEGORIES = ["apparel", "shoes", "home", "electronics", "beauty", "underwear", "custom"]
# The windows as the policy promises them, written out here rather than read from the code.
WINDOW = {"no_reason": 7, "size": 7, "quality": 30, "damaged": 30, "wrong_item": 30}
CROSS_BORDER_WINDOW = {"no_reason": 14, "size": 14, "quality": 30, "damaged": 30, "wrong_item": 30}
FINAL_SALE = {"underwear", "custom"}


def order(cross_border=False, status="delivered"):
    return SimpleNamespace(status=status, delivered_at=DELIVERED, cross_border=cross_border)


def item(category="apparel", returnable=True, price_cents=2400):
    return SimpleNamespace(category=category, returnable=returnable, price_cents=price_cents, name="Thing")


def day(offset):
    return DELIVERED.date() + timedelta(days=offset)


@pytest.fixture(scope="module")
def policy_app(test_environ):
    return make_app(test_environ)


@pytest.fixture(autouse=True)
def _request(request, policy_app):
    # Dates are worded in the request's language; the tests that need the database bring their own app.
    if "app" in request.fixturenames:
        yield
        return
    with policy_app.test_request_context():
        yield


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("reason", sorted(WINDOW))
@pytest.mark.parametrize("edge", ["first day", "last day", "day after"])
def test_every_reason_window_edge_and_category(category, reason, edge):
    window = WINDOW[reason]
    offset = {"first day": 0, "last day": window, "day after": window + 1}[edge]

    decision = evaluate(order(), item(category, returnable=category not in FINAL_SALE), reason, day(offset),
                        settings=SETTINGS)

    change_of_mind = reason in ("no_reason", "size")
    if change_of_mind and category in FINAL_SALE:
        assert (decision.eligible, decision.code, decision.may_ask_anyway) == (False, "final_sale", False)
        assert "only be returned if" in decision.reason
    elif edge == "day after":
        assert (decision.eligible, decision.code, decision.may_ask_anyway) == (False, "window_closed", True)
        assert f"The {window}-day window for this reason ended on {day(window).strftime('%B')}" in decision.reason
    else:
        assert decision.eligible, decision.reason
        assert decision.deadline == day(window)
        assert decision.reason == f"You can return this until {day(window).strftime('%B')} {day(window).day}, 2026."


@pytest.mark.parametrize("reason", sorted(CROSS_BORDER_WINDOW))
def test_cross_border_orders_have_the_longer_window(reason):
    window = CROSS_BORDER_WINDOW[reason]

    assert evaluate(order(cross_border=True), item(), reason, day(window), settings=SETTINGS).eligible
    assert not evaluate(order(cross_border=True), item(), reason, day(window + 1), settings=SETTINGS).eligible


@pytest.mark.parametrize("reason, cross_border, fee, customer_pays", [
    ("no_reason", False, 500, False),
    ("size", False, 0, False),
    ("quality", False, 0, False),
    ("damaged", False, 0, False),
    ("wrong_item", False, 0, False),
    ("no_reason", True, 1500, True),
    ("size", True, 0, False),
    ("quality", True, 0, False),
])
def test_fees_per_reason_and_customer_paid_shipping_across_borders(reason, cross_border, fee, customer_pays):
    decision = evaluate(order(cross_border), item(), reason, day(1), settings=SETTINGS)

    assert (decision.fee_cents, decision.customer_pays_shipping) == (fee, customer_pays)
    assert decision.refund_cents == 2400


def test_opened_cosmetics_cannot_be_returned_for_a_change_of_mind_but_can_if_faulty():
    serum = item("beauty")

    opened = evaluate(order(), serum, "no_reason", day(1), opened=True, settings=SETTINGS)
    sealed = evaluate(order(), serum, "no_reason", day(1), opened=False, settings=SETTINGS)
    faulty = evaluate(order(), serum, "quality", day(1), opened=True, settings=SETTINGS)

    assert (opened.eligible, opened.code) == (False, "opened")
    assert opened.reason == "Cosmetics can be returned for a change of mind only if unopened and sealed."
    assert sealed.eligible
    assert faulty.eligible


def test_not_yet_asked_cosmetics_carry_the_condition_in_words():
    decision = evaluate(order(), item("beauty"), "no_reason", day(1), settings=SETTINGS)

    assert decision.eligible
    assert decision.condition == "Cosmetics can be returned for a change of mind only if unopened and sealed."


def test_a_final_sale_item_from_the_shop_is_treated_like_a_final_sale_category():
    decision = evaluate(order(), item("home", returnable=False), "no_reason", day(1), settings=SETTINGS)

    assert (decision.eligible, decision.code) == (False, "final_sale")


def test_without_a_reason_the_most_generous_reason_decides_and_says_its_limits():
    late = evaluate(order(), item(), None, day(10), settings=SETTINGS)
    underwear = evaluate(order(), item("underwear", returnable=False), None, day(1), settings=SETTINGS)
    too_late = evaluate(order(), item(), None, day(31), settings=SETTINGS)

    assert late.eligible and late.code == "quality_only"
    assert "if it is faulty, damaged or not what you ordered" in late.reason
    assert underwear.eligible and underwear.code == "quality_only"
    assert (too_late.eligible, too_late.code) == (False, "window_closed")


@pytest.mark.parametrize("status", ["paid", "shipped", "in_transit", "cancelled"])
def test_orders_not_delivered_cannot_be_returned_yet(status):
    decision = evaluate(order(status=status), item(), "quality", day(1), settings=SETTINGS)

    assert (decision.eligible, decision.code) == (False, "not_delivered")
    assert decision.reason == "Returns open once the order has been delivered."


def test_an_unknown_reason_is_refused_in_words():
    decision = evaluate(order(), item(), "<script>", day(1), settings=SETTINGS)

    assert (decision.eligible, decision.code) == (False, "unknown_reason")


def test_settings_come_from_the_environment_until_a_lead_changes_them(app, db, make_staff):
    with app.test_request_context():
        app.config["RETURN_WINDOW_NO_REASON_DAYS"] = 3
        assert evaluate(order(), item(), "no_reason", day(3)).eligible
        assert not evaluate(order(), item(), "no_reason", day(4)).eligible
    lead = make_staff("lead")
    assert portal_settings.change(lead, {"return_window_change_of_mind_days": "10",
                                         "return_fee_change_of_mind_cents": "4.50",
                                         "return_high_value_cents": "200"})[1] == {}
    db.session.commit()
    with app.test_request_context():
        assert evaluate(order(), item(), "no_reason", day(10)).eligible
        assert not evaluate(order(), item(), "no_reason", day(11)).eligible
        assert policy.parcel_fee(order(), "no_reason") == (450, False)
        assert policy.is_high_value(20_001) and not policy.is_high_value(20_000)


def test_refund_timing_and_high_value_come_from_settings():
    assert policy.refund_days("original", SETTINGS) == 10
    assert policy.refund_days("store_credit", SETTINGS) == 1
    assert policy.is_high_value(50_001, SETTINGS) and not policy.is_high_value(50_000, SETTINGS)


def test_the_order_page_shows_each_items_policy(app, client, make_order, customer):
    shop_order = delivered_order(make_order, customer, days_ago=10)
    sign_in_as(client, customer)

    page = client.get(f"/orders/{shop_order.number}").text

    # Ten days after delivery the change-of-mind window has closed; quality returns stay open for 30 days.
    assert "Cannot be returned: The 7-day window" not in page
    assert "Can be returned" not in page
    assert page.count("Only if it is faulty, damaged or not what you ordered.") == len(shop_order.items)


def test_the_order_page_shows_the_return_deadline_inside_the_window(app, client, make_order, customer):
    shop_order = delivered_order(make_order, customer, days_ago=2)
    sign_in_as(client, customer)

    page = client.get(f"/orders/{shop_order.number}").text

    # The briefs are not returnable for a change of mind; the serum only unopened.
    assert page.count("Can be returned") == len(shop_order.items) - 1
    assert page.count("Only if it is faulty, damaged or not what you ordered.") == 1
    assert page.count("You can return this until") == len(shop_order.items)
    assert "Cosmetics can be returned for a change of mind only if unopened and sealed." in page


@pytest.mark.parametrize("category", CATEGORIES)
def test_a_repair_is_for_electronics_and_appliances_only(category):
    # The help articles promise a technician for electronics and appliances (the kettle is sold as electronics).
    assert policy.repairable([item(category)]) is (category == "electronics")


@pytest.mark.parametrize("reason, refusal", [("quality", None), ("damaged", None), ("no_reason", "reason"),
                                             ("size", "reason"), ("wrong_item", "reason")])
def test_a_repair_is_for_a_fault(reason, refusal):
    assert policy.repair_refusal([item("electronics")], reason) == refusal
    assert policy.repair_refusal([item("apparel")], reason) == "category"


def test_a_repair_needs_every_item_to_be_repairable():
    assert policy.repairable([item("electronics"), item("electronics")])
    assert not policy.repairable([item("electronics"), item("apparel")])
    assert not policy.repairable([])
