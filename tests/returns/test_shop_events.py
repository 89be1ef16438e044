"""Each decision writes its webhook to the shop in the same transaction, where it is made: automatic and agent
approvals, refund and coupon resolutions (cancellations: tests/worker/test_shop_hooks.py)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import shop_events
from portal.agent import service as agent_service
from portal.models import Case, CaseItem, OutboxRow, ShopDelivery, ShopEndpoint, utcnow
from portal.models.shop_hooks import SHOP_EVENT_TYPES
from tests.agent.helpers import make_case
from tests.cases.helpers import item_named
from tests.returns.test_wizard import walk


@pytest.fixture
def endpoint(db):
    endpoint = ShopEndpoint(url="https://shop.example.com/hooks", secret="whsec_x", event_types=list(SHOP_EVENT_TYPES),
                            active=True)
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def _deliveries(db):
    db.session.expire_all()
    return db.session.scalars(select(ShopDelivery).order_by(ShopDelivery.id)).all()


def _return_case(db, customer, order, kind="return", status="needs_review", **overrides):
    case = make_case(customer, order, kind=kind, status=status, category="size", refund_method="original",
                     refund_estimate_cents=1900, fee_cents=500, currency="USD", **overrides)
    case.items = [CaseItem(order_item_id=item_named(order, "TSH-001").id, qty=1)]
    db.session.commit()
    return case


def test_an_automatic_approval_tells_the_shop_the_rma_items_and_refund_estimate(signed_in, db, order, endpoint):
    tshirt = item_named(order, "TSH-001")

    walk(signed_in, order, {f"qty-{tshirt.id}": "1"})

    case = db.session.scalar(select(Case))
    [delivery] = _deliveries(db)
    assert delivery.event_type == "return.approved"
    data = delivery.payload["data"]
    assert (data["case"], data["order"], data["rma"]) == (case.reference, order.number, case.return_label)
    assert data["items"] == [{"sku": "TSH-001", "name": tshirt.name, "qty": 1}]
    assert data["refund_estimate"] == {"amount_cents": 1900, "currency": order.currency, "method": "original"}
    row = db.session.scalar(select(OutboxRow).where(OutboxRow.key == delivery.outbox_key))
    assert (row.job_name, row.args) == ("shop.deliver", [delivery.id])


@pytest.mark.parametrize(("kind", "event_type"), [("return", "return.approved"),
                                                  ("exchange", "exchange.requested"),
                                                  ("repair", "repair.booked")])
def test_an_agent_approval_tells_the_shop_once(db, customer, order, agent, endpoint, kind, event_type):
    slot = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    case = _return_case(db, customer, order, kind=kind, exchange_for="size M" if kind == "exchange" else "",
                        repair_slot=slot if kind == "repair" else None)

    agent_service.decide_return(case, agent, True, "")
    db.session.commit()
    shop_events.case_approved(case)  # saved twice: still one delivery per endpoint
    db.session.commit()

    [delivery] = _deliveries(db)
    assert delivery.event_type == event_type
    assert delivery.payload["data"]["case"] == case.reference
    assert delivery.payload["data"]["items"] == [{"sku": "TSH-001", "name": item_named(order, "TSH-001").name,
                                                  "qty": 1}]
    if kind == "exchange":
        assert delivery.payload["data"]["exchange_for"] == "size M"
    if kind == "repair":
        assert delivery.payload["data"]["slot"] == slot.isoformat()


def test_a_rejection_tells_the_shop_nothing(db, customer, order, agent, endpoint):
    case = _return_case(db, customer, order)

    agent_service.decide_return(case, agent, False, "Worn and washed")
    db.session.commit()

    assert _deliveries(db) == []


@pytest.mark.parametrize(("resolution", "event_type"), [("refund", "refund.requested"),
                                                        ("coupon", "coupon.granted"),
                                                        ("explanation", None)])
def test_a_resolution_with_money_asks_the_shop_for_it(db, customer, order, agent, endpoint, resolution, event_type):
    case = make_case(customer, order, assignee_id=agent.id)

    agent_service.resolve(case, agent, resolution, 1250 if resolution != "explanation" else None, "Sorry")
    db.session.commit()

    deliveries = _deliveries(db)
    assert [d.event_type for d in deliveries] == ([event_type] if event_type else [])
    if event_type:
        data = deliveries[0].payload["data"]
        assert (data["amount_cents"], data["currency"], data["order"]) == (1250, case.currency, order.number)


def test_only_switched_on_endpoints_that_take_the_event_get_it(db, customer, order, agent, endpoint):
    db.session.add_all([
        ShopEndpoint(url="https://off.example.com/", secret="s", event_types=["refund.requested"], active=False),
        ShopEndpoint(url="https://other.example.com/", secret="s", event_types=["coupon.granted"], active=True),
    ])
    db.session.commit()
    case = make_case(customer, order)

    agent_service.resolve(case, agent, "refund", 500, "Sorry")
    db.session.commit()

    assert [(d.endpoint_id, d.event_type) for d in _deliveries(db)] == [(endpoint.id, "refund.requested")]


def test_a_decision_rolled_back_sends_nothing(db, customer, order, agent, endpoint):
    case = make_case(customer, order)

    agent_service.resolve(case, agent, "coupon", 500, "Sorry")
    db.session.rollback()

    assert _deliveries(db) == []
    assert db.session.scalars(select(OutboxRow).where(OutboxRow.job_name == "shop.deliver")).all() == []


def test_a_case_resolved_again_after_reopening_asks_the_shop_again(db, customer, order, agent, endpoint):
    from portal.casework import service as cases

    case = make_case(customer, order)
    agent_service.resolve(case, agent, "refund", 500, "Sorry")
    db.session.commit()
    cases.transition(case, "reopened", actor_type="customer")
    db.session.commit()

    agent_service.resolve(case, agent, "refund", 700, "Sorry again")
    db.session.commit()

    assert [d.payload["data"]["amount_cents"] for d in _deliveries(db)] == [500, 700]
