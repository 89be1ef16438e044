"""The return wizard end to end over HTTP: four steps, automatic approval, review, and hostile input."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models import Case, CaseItem, ReturnDraft, utcnow
from tests.cases.helpers import delivered_order, image_bytes, item_named, outbox, select_options


def url(order, step):
    return f"/returns/{order.number}/step/{step}"


def cases(db):
    db.session.expire_all()
    return db.session.scalars(select(Case)).all()


def walk(client, order, items, reason="no_reason", description="", outcome="refund", photos=(), **extra):
    """Post steps 1-3 and return step 4's submission response."""
    assert client.post(url(order, 1), data=items).status_code == 303
    data = {"reason": reason, "description": description, **extra.get("step2", {})}
    if photos:
        data["photos"] = [(io.BytesIO(content), name) for name, content in photos]
    response = client.post(url(order, 2), data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.text
    assert client.post(url(order, 3), data={"outcome": outcome, **extra.get("step3", {})}).status_code == 303
    return client.post(url(order, 4))


def test_guests_are_offered_sign_in_or_tracking(client):
    page = client.get("/returns/")

    assert page.status_code == 200
    assert "/signin" in page.text and "/orders/track" in page.text


def test_signed_in_customers_choose_among_their_delivered_orders(signed_in, order, make_order, customer):
    undelivered = make_order(customer=customer, status="in_transit")

    page = signed_in.get("/returns/new").text

    assert order.number in page
    assert undelivered.number not in page


def test_a_no_reason_return_is_approved_in_four_steps_and_waits_for_the_parcel(signed_in, db, order):
    tshirt = item_named(order, "TSH-001")

    response = walk(signed_in, order, {f"qty-{tshirt.id}": "1"})

    [case] = cases(db)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/cases/{case.reference}"
    assert (case.kind, case.status, case.escalated) == ("return", "awaiting_item", False)
    assert case.return_label == "R" + case.reference[1:]
    assert (case.fee_cents, case.refund_estimate_cents, case.refund_method) == (500, 1900, "original")
    assert [(i.order_item_id, i.qty) for i in case.items] == [(tshirt.id, 1)]
    assert db.session.scalar(select(func.count(ReturnDraft.id))) == 0
    page = signed_in.get(f"/cases/{case.reference}").text
    assert "Your return is approved" in page and case.return_label in page


def test_the_review_shows_policy_fee_refund_and_timing_before_submitting(signed_in, order):
    tshirt = item_named(order, "TSH-001")
    signed_in.post(url(order, 1), data={f"qty-{tshirt.id}": "2"})
    signed_in.post(url(order, 2), data={"reason": "no_reason"})
    signed_in.post(url(order, 3), data={"outcome": "refund"})

    page = signed_in.get(url(order, 4)).text

    assert "$5.00, taken from your refund" in page
    assert "$43.00, within 10 days after the parcel reaches us" in page
    assert "approved as soon as you send it" in page


@pytest.mark.parametrize("outcome, words", [("store_credit", "$19.00, within 1 day after the parcel reaches us"),
                                             ("refund", "$19.00, within 10 days after the parcel reaches us")])
def test_the_review_counts_the_refund_days_in_words_that_fit_the_number(signed_in, app, order, outcome, words):
    # The configured timing (1 day for store credit, 10 for a refund), as the help articles promise it.
    assert (app.config["REFUND_DAYS_STORE_CREDIT"], app.config["REFUND_DAYS_ORIGINAL_PAYMENT"]) == (1, 10)
    signed_in.post(url(order, 1), data={f"qty-{item_named(order, 'TSH-001').id}": "1"})
    signed_in.post(url(order, 2), data={"reason": "no_reason"})
    signed_in.post(url(order, 3), data={"outcome": outcome})

    page = signed_in.get(url(order, 4)).text

    assert words in page
    assert "within 1 days" not in page


def test_the_chinese_review_counts_the_refund_days(signed_in, order):
    signed_in.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    signed_in.post(url(order, 1), data={f"qty-{item_named(order, 'TSH-001').id}": "1"})
    signed_in.post(url(order, 2), data={"reason": "no_reason"})
    signed_in.post(url(order, 3), data={"outcome": "store_credit"})

    page = signed_in.get(url(order, 4)).text

    assert "包裹到达我们仓库后 1 天内退回" in page


def test_a_quality_return_with_a_photo_goes_to_review_and_is_escalated(signed_in, db, order):
    headphones = item_named(order, "HPH-900")

    walk(signed_in, order, {f"qty-{headphones.id}": "1"}, reason="quality",
         description="The left ear cup crackles.", photos=[("ear.jpg", image_bytes())])

    [case] = cases(db)
    assert (case.status, case.escalated, case.urgency) == ("needs_review", True, "medium")
    assert len(case.attachments) == 1
    assert "quality_check" in {r["code"] for r in case.triage_reasons}
    assert [row.args for row in outbox(db, "case.escalated")] == [[case.id]]
    assert "Under review" in signed_in.get(f"/cases/{case.reference}").text


def test_an_exchange_and_a_repair_become_their_kind_and_a_repair_is_reviewed(signed_in, db, make_order, customer):
    first = delivered_order(make_order, customer)
    walk(signed_in, first, {f"qty-{item_named(first, 'TSH-001').id}": "1"}, reason="size", outcome="exchange",
         step3={"exchange_for": "Size L"})
    second = delivered_order(make_order, customer)
    slot_page = signed_in.post(url(second, 1), data={f"qty-{item_named(second, 'HPH-900').id}": "1"})
    assert slot_page.status_code == 303
    signed_in.post(url(second, 2), data={"reason": "quality", "description": "It will not charge."})
    placeholder, slot, *_later = select_options(signed_in.get(url(second, 3)).text, "repair_slot")
    assert placeholder == ""
    signed_in.post(url(second, 3), data={"outcome": "repair", "repair_slot": slot})
    signed_in.post(url(second, 4))

    exchange, repair = sorted(cases(db), key=lambda c: c.id)
    assert (exchange.kind, exchange.status, exchange.exchange_for, exchange.fee_cents) == (
        "exchange", "awaiting_item", "Size L", 0)
    assert (repair.kind, repair.status, repair.repair_slot.isoformat()) == ("repair", "needs_review", slot)


def test_a_high_value_return_is_reviewed(signed_in, db, make_order, customer, app):
    app.config["RETURN_HIGH_VALUE_CENTS"] = 10_000
    order = delivered_order(make_order, customer)

    walk(signed_in, order, {f"qty-{item_named(order, 'HPH-900').id}": "1"})

    [case] = cases(db)
    assert case.status == "needs_review"
    assert "high_value" in {r["code"] for r in case.triage_reasons}


def test_outside_the_window_the_customer_may_still_ask_and_a_person_reviews(signed_in, db, make_order, customer):
    order = delivered_order(make_order, customer, days_ago=12)

    walk(signed_in, order, {f"qty-{item_named(order, 'TSH-001').id}": "1"})

    [case] = cases(db)
    assert case.status == "needs_review"
    assert "outside_window" in {r["code"] for r in case.triage_reasons}


def test_step_one_greys_out_items_outside_the_policy_with_the_reason(signed_in, make_order, customer):
    order = delivered_order(make_order, customer, days_ago=40)

    page = signed_in.get(f"/returns/new?order={order.number}").text

    assert page.count('class="return-line ineligible"') == len(order.items)
    assert "The 30-day window for this reason ended on" in page
    assert "You can still ask: a person will review your request." in page


def test_step_one_disables_items_already_requested(signed_in, order):
    tshirt = item_named(order, "TSH-001")
    walk(signed_in, order, {f"qty-{tshirt.id}": "2"})

    page = signed_in.get(f"/returns/new?order={order.number}").text

    assert "Already in an earlier return request." in page
    assert page.count(" disabled") == 1


def test_each_step_is_a_fragment_for_htmx_and_a_page_without(signed_in, order):
    signed_in.post(url(order, 1), data={f"qty-{item_named(order, 'TSH-001').id}": "1"})

    fragment = signed_in.get(url(order, 2), headers={"HX-Request": "true"})
    page = signed_in.get(url(order, 2))

    assert fragment.text.lstrip().startswith("<section id=\"wizard\"") or 'id="wizard"' in fragment.text[:400]
    assert "<html" not in fragment.text and "<html" in page.text
    assert fragment.headers["HX-Push-Url"] == url(order, 2)
    assert "HX-Request" in fragment.headers["Vary"]
    assert 'aria-live="polite"' in fragment.text


def test_back_keeps_what_was_chosen(signed_in, order):
    tshirt = item_named(order, "TSH-001")
    signed_in.post(url(order, 1), data={f"qty-{tshirt.id}": "2"})
    signed_in.post(url(order, 2), data={"reason": "size", "description": "Too tight"})

    step1 = signed_in.get(url(order, 1)).text
    step2 = signed_in.get(url(order, 2)).text

    assert f'name="qty-{tshirt.id}"' in step1 and 'value="2"' in step1
    assert 'value="size" checked' in step2 and "Too tight" in step2


# ---- Hostile input ---------------------------------------------------------------------------------------------

def test_posting_step_four_directly_is_refused_with_a_message(signed_in, db, order):
    response = signed_in.post(url(order, 4))

    assert response.status_code == 409
    assert "Please start from step 1" in response.text
    assert cases(db) == []


def test_showing_a_later_step_first_sends_the_customer_back(signed_in, order):
    response = signed_in.get(url(order, 3))

    assert response.status_code == 303
    assert response.headers["Location"] == url(order, 1)


def test_an_item_id_from_another_order_is_refused(signed_in, db, order, make_order, make_customer):
    other = delivered_order(make_order, make_customer())

    response = signed_in.post(url(order, 1), data={f"qty-{other.items[0].id}": "1"})

    assert response.status_code == 400
    assert "One of the items you chose is not part of this order." in response.text
    assert db.session.scalar(select(func.count(ReturnDraft.id))) == 0


@pytest.mark.parametrize("qty, message", [("3", "You can return at most 2 of this item."),
                                          ("-1", "Please enter a whole number."),
                                          ("two", "Please enter a whole number."),
                                          ("0", "Please choose at least one item to return.")])
def test_impossible_quantities_are_refused(signed_in, db, order, qty, message):
    response = signed_in.post(url(order, 1), data={f"qty-{item_named(order, 'TSH-001').id}": qty})

    assert response.status_code == 400
    assert message in response.text
    assert db.session.scalar(select(func.count(ReturnDraft.id))) == 0


def _summary_links(page):
    """The error summary's items: (the id each links to, or None, its text)."""
    summary = re.search(r'<div class="form-errors" role="alert" tabindex="-1" autofocus>(.*?)</div>', page, re.S)
    assert summary is not None, "the refused step opens on its error summary"
    return [(target or None, text) for target, text in
            re.findall(r'<li>(?:<a href="#([\w-]+)">)?([^<]*)', summary.group(1))]


def test_each_steps_summary_links_to_the_input_to_fix(signed_in, order):
    tshirt = item_named(order, "TSH-001")
    nothing = signed_in.post(url(order, 1), data={}).text
    too_many = signed_in.post(url(order, 1), data={f"qty-{tshirt.id}": "3"}).text
    assert signed_in.post(url(order, 1), data={f"qty-{tshirt.id}": "1"}).status_code == 303
    no_reason = signed_in.post(url(order, 2), data={}).text
    assert signed_in.post(url(order, 2), data={"reason": "no_reason"}).status_code == 303
    no_outcome = signed_in.post(url(order, 3), data={}).text

    [(first, _text)] = _summary_links(nothing)
    assert first.startswith("qty-") and re.search(rf'id="{first}"(?![^>]*disabled)', nothing)
    assert _summary_links(too_many) == [(f"qty-{tshirt.id}", "You can return at most 2 of this item.")]
    assert [target for target, _text in _summary_links(no_reason)] == ["return-reason"]
    assert 'id="return-reason"' in no_reason
    assert [target for target, _text in _summary_links(no_outcome)] == ["return-outcome"]
    assert 'id="return-outcome"' in no_outcome


def test_a_step_started_over_says_why_without_a_link(signed_in, order):
    page = signed_in.post(url(order, 3), data={"outcome": "refund"}).text

    assert _summary_links(page) == [
        (None, "Please start from step 1: your earlier answers are missing or have expired.")]


def test_quantities_already_in_an_earlier_request_cannot_be_asked_again(signed_in, db, order):
    tshirt = item_named(order, "TSH-001")
    walk(signed_in, order, {f"qty-{tshirt.id}": "2"})

    response = signed_in.post(url(order, 1), data={f"qty-{tshirt.id}": "1"})

    assert response.status_code == 400
    assert "You can return at most 0 of this item." in response.text
    assert db.session.scalar(select(func.sum(CaseItem.qty))) == 2


def test_a_final_sale_item_cannot_be_returned_for_a_change_of_mind(signed_in, db, order):
    briefs = item_named(order, "UND-005")
    signed_in.post(url(order, 1), data={f"qty-{briefs.id}": "1"})

    response = signed_in.post(url(order, 2), data={"reason": "no_reason"})

    assert response.status_code == 400
    assert "Underwear can only be returned if it is faulty" in response.text


def test_opened_cosmetics_need_an_answer_and_are_refused_when_opened(signed_in, order):
    serum = item_named(order, "SRM-017")
    signed_in.post(url(order, 1), data={f"qty-{serum.id}": "1"})

    unanswered = signed_in.post(url(order, 2), data={"reason": "no_reason"})
    opened = signed_in.post(url(order, 2), data={"reason": "no_reason", "opened": "yes"})

    assert "Please tell us whether the cosmetics are unopened." in unanswered.text
    assert "only if unopened and sealed" in opened.text
    assert signed_in.post(url(order, 2), data={"reason": "no_reason", "opened": "no"}).status_code == 303


def test_a_huge_description_is_refused_and_kept_out(signed_in, db, order):
    signed_in.post(url(order, 1), data={f"qty-{item_named(order, 'TSH-001').id}": "1"})

    response = signed_in.post(url(order, 2), data={"reason": "quality", "description": "x" * 100_000})

    assert response.status_code == 400
    assert "Please keep the description under 2000 characters." in response.text
    assert db.session.scalar(select(ReturnDraft)).data.get("reason") is None


def test_a_forged_reason_or_outcome_is_refused(signed_in, order):
    # Faulty headphones can be repaired: the repair's forged time is what is refused, not the repair itself.
    signed_in.post(url(order, 1), data={f"qty-{item_named(order, 'HPH-900').id}": "1"})

    bad_reason = signed_in.post(url(order, 2), data={"reason": "<script>alert(1)</script>"})
    assert signed_in.post(url(order, 2), data={"reason": "quality", "description": "It stopped charging."}
                          ).status_code == 303
    bad_outcome = signed_in.post(url(order, 3), data={"outcome": "cash-in-hand"})
    no_slot = signed_in.post(url(order, 3), data={"outcome": "repair", "repair_slot": "2020-01-01T09:00:00+00:00"})

    assert "Please choose a reason from the list." in bad_reason.text
    assert "<script>alert(1)" not in bad_reason.text
    assert "Please choose what you would like from the list." in bad_outcome.text
    assert "Please choose one of the appointment times offered." in no_slot.text


def test_another_customers_order_gives_404(signed_in, make_order, make_customer):
    other = delivered_order(make_order, make_customer())

    assert signed_in.get(f"/returns/new?order={other.number}").status_code == 404
    assert signed_in.post(url(other, 1), data={f"qty-{other.items[0].id}": "1"}).status_code == 404


def test_an_order_not_yet_delivered_cannot_start_a_return(signed_in, make_order, customer):
    order = make_order(customer=customer, status="in_transit")

    response = signed_in.get(f"/returns/new?order={order.number}")

    assert response.status_code == 409
    assert "Returns open once the order has been delivered." in response.text


def test_submission_checks_everything_again_when_the_order_changed(signed_in, db, order):
    tshirt = item_named(order, "TSH-001")
    signed_in.post(url(order, 1), data={f"qty-{tshirt.id}": "2"})
    signed_in.post(url(order, 2), data={"reason": "no_reason"})
    signed_in.post(url(order, 3), data={"outcome": "refund"})
    tshirt.qty = 1  # the shop corrected the order meanwhile
    db.session.commit()

    response = signed_in.post(url(order, 4))

    assert response.status_code == 400
    assert "You can return at most 1 of this item." in response.text
    assert cases(db) == []


def test_a_draft_for_another_order_is_replaced(signed_in, db, order, make_order, customer):
    second = delivered_order(make_order, customer)
    signed_in.post(url(order, 1), data={f"qty-{item_named(order, 'TSH-001').id}": "1"})

    signed_in.post(url(second, 1), data={f"qty-{item_named(second, 'TSH-001').id}": "1"})

    [draft] = db.session.scalars(select(ReturnDraft)).all()
    assert draft.order_id == second.id
    assert signed_in.post(url(order, 4)).status_code == 409


def test_submitting_twice_files_one_case(signed_in, db, order):
    walk(signed_in, order, {f"qty-{item_named(order, 'TSH-001').id}": "1"})

    again = signed_in.post(url(order, 4))

    assert again.status_code == 409
    assert len(cases(db)) == 1


def test_the_submit_with_htmx_navigates_to_the_case_page(signed_in, db, order):
    signed_in.post(url(order, 1), data={f"qty-{item_named(order, 'TSH-001').id}": "1"})
    signed_in.post(url(order, 2), data={"reason": "no_reason"})
    signed_in.post(url(order, 3), data={"outcome": "store_credit"})

    response = signed_in.post(url(order, 4), headers={"HX-Request": "true"})

    [case] = cases(db)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/cases/{case.reference}"
    assert case.refund_method == "store_credit"


def test_the_return_is_stored_and_acknowledged_while_redis_is_down(app, signed_in, db, order, tmp_path):
    from portal.embedded_redis import EmbeddedRedis

    server = EmbeddedRedis(tmp_path / "down.sock").start()
    app.config["REDIS_URL"] = server.url
    app.extensions.pop("portal_redis", None)
    server.stop()

    walk(signed_in, order, {f"qty-{item_named(order, 'TSH-001').id}": "1"})

    [case] = cases(db)
    assert case.status == "awaiting_item"
    assert sorted(row.job_name for row in outbox(db)) == [
        "case.notify", "case.notify", "return.expire", "return.reminder"]


def test_the_order_page_links_to_the_wizard(signed_in, order):
    page = signed_in.get(f"/orders/{order.number}").text

    assert f"/returns/new?order={order.number}" in page
    assert utcnow() - timedelta(days=2)  # delivered two days ago: inside every window
