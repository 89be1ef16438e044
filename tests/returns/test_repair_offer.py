"""A repair is offered, and accepted, only when every chosen item is electronics or an appliance and the reason
is a fault."""

import pytest
from sqlalchemy import func, select

from portal import bookings
from portal.models import Booking, Case, ReturnDraft, utcnow
from tests.cases.helpers import delivered_order, item_named

CLOTHES = [
    {"sku": "TSH-001", "name": "Organic cotton T-shirt", "category": "apparel", "price_cents": 2400, "qty": 1},
    {"sku": "JNS-014", "name": "Slim-fit jeans", "category": "apparel", "price_cents": 6900, "qty": 1},
]
APPLIANCES = [
    {"sku": "HPH-900", "name": "Wireless headphones", "category": "electronics", "price_cents": 19900, "qty": 1},
    {"sku": "KTL-230", "name": "Electric kettle", "category": "electronics", "price_cents": 4500, "qty": 1},
]


def url(order, step):
    return f"/returns/{order.number}/step/{step}"


def to_step_three(client, order, *skus, reason="quality"):
    items = {f"qty-{item_named(order, sku).id}": "1" for sku in skus}
    assert client.post(url(order, 1), data=items).status_code == 303
    assert client.post(url(order, 2), data={"reason": reason, "description": "The zip broke on the second day."}
                       ).status_code == 303


def stored(db):
    db.session.expire_all()
    return (db.session.scalar(select(func.count(Case.id))), db.session.scalar(select(func.count(Booking.id))))


def test_step_three_offers_a_repair_with_its_times_for_electronics_and_appliances(signed_in, make_order, customer):
    order = delivered_order(make_order, customer, items=APPLIANCES)
    to_step_three(signed_in, order, "HPH-900", "KTL-230")

    page = signed_in.get(url(order, 3)).text

    assert '<input type="radio" name="outcome" value="repair">' in page
    assert 'id="repair-slot"' in page
    assert "We repair electronics and appliances only." not in page


@pytest.mark.parametrize("skus", [("TSH-001", "JNS-014"), ("TSH-001",), ("HPH-900", "TSH-001")],
                         ids=["clothes", "one-shirt", "headphones-and-shirt"])
def test_step_three_shows_no_repair_when_any_item_is_not_repairable(signed_in, make_order, customer, skus):
    order = delivered_order(make_order, customer, items=CLOTHES + APPLIANCES[:1])
    to_step_three(signed_in, order, *skus)

    page = signed_in.get(url(order, 3)).text

    assert '<input type="radio" name="outcome" value="repair" disabled aria-describedby="repair-unavailable">' in page
    assert "We repair electronics and appliances only." in page
    assert 'id="repair-slot"' not in page
    assert 'value="refund"' in page and 'value="exchange"' in page


@pytest.mark.parametrize("reason", ["no_reason", "size"])
def test_no_repair_for_an_appliance_returned_without_a_fault(signed_in, db, make_order, customer, reason):
    order = delivered_order(make_order, customer, items=APPLIANCES)
    to_step_three(signed_in, order, "HPH-900", reason=reason)

    page = signed_in.get(url(order, 3)).text
    slot = bookings.free_slots("repair", utcnow())[0]
    forged = signed_in.post(url(order, 3), data={"outcome": "repair", "repair_slot": slot.value})

    assert '<input type="radio" name="outcome" value="repair" disabled aria-describedby="repair-unavailable">' in page
    assert "A repair is for an item that is faulty or arrived damaged." in page
    assert forged.status_code == 400
    assert "A repair is for an item that is faulty or arrived damaged. Please choose another option." in forged.text
    assert stored(db) == (0, 0)


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["page", "htmx"])
def test_a_forged_repair_for_clothing_is_refused_and_nothing_is_stored(signed_in, db, make_order, customer, headers):
    order = delivered_order(make_order, customer, items=CLOTHES)
    to_step_three(signed_in, order, "TSH-001", "JNS-014")
    slot = bookings.free_slots("repair", utcnow())[0]

    response = signed_in.post(url(order, 3), data={"outcome": "repair", "repair_slot": slot.value}, headers=headers)

    assert response.status_code == 400
    assert "We repair electronics and appliances only. Please choose another option." in response.text
    assert ("<html" in response.text) is not bool(headers)
    draft = db.session.scalar(select(ReturnDraft))
    assert "outcome" not in draft.data and draft.data["done"] == [1, 2]
    assert signed_in.post(url(order, 4)).status_code == 409
    assert stored(db) == (0, 0)


def test_a_repair_already_in_a_draft_for_clothing_is_refused_at_submission(signed_in, db, make_order, customer):
    # A draft saved before the rule (or written by anything but step 3) is checked again when sent.
    order = delivered_order(make_order, customer, items=CLOTHES)
    to_step_three(signed_in, order, "TSH-001")
    assert signed_in.post(url(order, 3), data={"outcome": "refund"}).status_code == 303
    slot = bookings.free_slots("repair", utcnow())[0]
    draft = db.session.scalar(select(ReturnDraft))
    draft.data = {**draft.data, "outcome": "repair", "repair_slot": slot.start.isoformat()}
    db.session.commit()

    review = signed_in.get(url(order, 4))
    response = signed_in.post(url(order, 4))

    assert "We repair electronics and appliances only. Please choose another option." in review.text
    assert response.status_code == 400
    assert "We repair electronics and appliances only. Please choose another option." in response.text
    assert stored(db) == (0, 0)


def test_a_repair_for_an_appliance_is_still_booked(signed_in, db, make_order, customer):
    order = delivered_order(make_order, customer, items=APPLIANCES)
    to_step_three(signed_in, order, "KTL-230")
    slot = bookings.free_slots("repair", utcnow())[0]

    assert signed_in.post(url(order, 3), data={"outcome": "repair", "repair_slot": slot.value}).status_code == 303
    assert signed_in.post(url(order, 4)).status_code == 303

    db.session.expire_all()
    case = db.session.scalar(select(Case))
    assert (case.kind, case.repair_slot) == ("repair", slot.start)
    assert stored(db) == (1, 1)
