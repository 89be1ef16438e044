"""The case workspace: the customer beside the case, reveal, canned replies, and every action audited."""

import re
from datetime import timedelta

import pytest

from portal.account.service import export_data
from portal.models import (
    AuditEntry,
    CannedReply,
    Case,
    CaseEvent,
    CaseMessage,
    OutboxRow,
    Survey,
    SurveyAnswer,
    utcnow,
)
from tests.agent.helpers import make_case, sign_in_customer, sign_in_staff


@pytest.fixture
def signed_in(client, agent):
    sign_in_staff(client, agent)
    return client


@pytest.fixture
def case(customer, make_order):
    order = make_order(customer=customer, status="in_transit", carrier="SwiftPost", tracking_number="SP1")
    return make_case(customer, order)


def _case(db, case):
    db.session.expire_all()
    return db.session.get(Case, case.id)


def test_the_workspace_shows_the_customer_beside_the_case(signed_in, db, customer, case):
    now = utcnow()
    earlier = make_case(customer, kind="return", status="resolved", resolution_type="refund",
                        created_at=now - timedelta(days=3), resolved_at=now - timedelta(days=2))
    survey = Survey(case_id=earlier.id, customer_id=customer.id, sent_at=now - timedelta(days=2))
    db.session.add(survey)
    db.session.flush()
    db.session.add(SurveyAnswer(survey_id=survey.id, score=2, answered_at=now - timedelta(days=1)))
    db.session.commit()
    html = signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)
    assert case.order.number in html and "in_transit" in html
    assert earlier.reference in html and "refund" in html
    assert 'class="score score-2"' in html
    assert "Churn risk" in html
    assert "The kettle arrived broken" in html
    assert "damaged product" in html
    assert "alice@example.com" not in html and "a•••@example.com" in html
    assert customer.phone not in html
    # The same mask a guest sees on an order page (portal.masking), the last two digits readable.
    assert f"••• ••• {customer.phone[-2:]}" in html


def test_churn_risk_needs_two_complaints_in_30_days_or_a_low_rating(signed_in, customer, case):
    html = signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)
    assert "Churn risk" not in html
    make_case(customer, created_at=utcnow() - timedelta(days=10))
    html = signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)
    assert "Churn risk" in html


def test_revealing_the_email_is_audited(signed_in, db, agent, customer, case):
    response = signed_in.post(f"/agent/cases/{case.reference}/reveal", data={"field": "email"})
    assert response.status_code == 200
    assert "alice@example.com" in response.get_data(as_text=True)
    entry = db.session.query(AuditEntry).one()
    assert (entry.actor_type, entry.actor_id, entry.action, entry.target_id) == (
        "staff", agent.id, "customer.email_revealed", customer.id)
    assert entry.detail == {"case": case.reference}
    assert db.session.query(CaseEvent).filter_by(field="contact_revealed").count() == 1


def test_reveal_answers_htmx_with_the_contact_fragment_only(signed_in, case):
    response = signed_in.post(f"/agent/cases/{case.reference}/reveal", data={"field": "phone"},
                              headers={"HX-Request": "true"})
    assert b"<html" not in response.data
    assert case.customer.phone.encode() in response.data
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("field", ["", "name", "<script>", "email' --"])
def test_reveal_refuses_other_fields(signed_in, db, case, field):
    assert signed_in.post(f"/agent/cases/{case.reference}/reveal", data={"field": field}).status_code == 400
    assert db.session.query(AuditEntry).count() == 0


def test_a_reply_reaches_the_customer_and_stops_the_first_response_clock(signed_in, db, case, agent):
    response = signed_in.post(f"/agent/cases/{case.reference}/reply", data={"body": "We are on it."})
    assert response.status_code == 302
    fresh = _case(db, case)
    assert fresh.status == "answered"
    assert fresh.first_response_at is not None
    message = db.session.query(CaseMessage).one()
    assert (message.author_type, message.internal, message.staff_id) == ("agent", False, agent.id)
    assert db.session.query(OutboxRow).filter_by(job_name="case.notify").count() == 1


def test_a_reply_to_an_untaken_case_makes_it_the_agents_and_a_colleagues_case_stays_theirs(signed_in, db, case,
                                                                                             agent, make_staff):
    signed_in.post(f"/agent/cases/{case.reference}/reply", data={"body": "We are on it."})
    assert _case(db, case).assignee_id == agent.id
    event = db.session.query(CaseEvent).filter_by(case_id=case.id, field="assignee").one()
    assert (event.new_value, event.staff_id) == (agent.email, agent.id)

    colleague = make_staff("agent")
    case.assignee_id = colleague.id
    db.session.commit()
    signed_in.post(f"/agent/cases/{case.reference}/reply", data={"body": "One more thing."})
    assert _case(db, case).assignee_id == colleague.id
    assert db.session.query(CaseEvent).filter_by(case_id=case.id, field="assignee").count() == 1


def test_a_second_reply_keeps_the_first_response_time(signed_in, db, case):
    signed_in.post(f"/agent/cases/{case.reference}/reply", data={"body": "First."})
    first_at = _case(db, case).first_response_at
    signed_in.post(f"/agent/cases/{case.reference}/reply", data={"body": "Second."})
    assert _case(db, case).first_response_at == first_at
    assert db.session.query(CaseMessage).count() == 2


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_an_empty_or_huge_reply_is_refused_and_nothing_is_stored(signed_in, db, case, body):
    response = signed_in.post(f"/agent/cases/{case.reference}/reply", data={"body": body})
    assert response.status_code == 400
    assert db.session.query(CaseMessage).count() == 0
    assert _case(db, case).status == "escalated"


def test_a_reply_with_markup_is_shown_as_text(signed_in, case):
    signed_in.post(f"/agent/cases/{case.reference}/reply", data={"body": "<script>alert(1)</script>"})
    html = signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_internal_note_never_reaches_the_customer(app, signed_in, db, case, customer, mail_sink, redis):
    from worker.runtime import run

    secret = "Customer sounds like a reseller, check the address"
    signed_in.post(f"/agent/cases/{case.reference}/note", data={"body": secret})
    signed_in.post(f"/agent/cases/{case.reference}/reply", data={"body": "Your refund is on its way."})
    assert db.session.query(CaseMessage).filter_by(internal=True).count() == 1
    # The agent sees it...
    assert secret in signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)
    # ...the customer's case page, e-mails and data export never do.
    customer_client = app.test_client()
    sign_in_customer(customer_client, customer)
    page = customer_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "Your refund is on its way." in page
    assert secret not in page
    run(app, burst=True)
    messages = mail_sink.to(customer.email)
    assert messages, "the reply should have been e-mailed"
    for message in messages:
        assert secret not in message.as_string()
    assert "Your refund is on its way." in "".join(m.get_body(("plain",)).get_content() for m in messages)
    assert secret not in str(export_data(customer, utcnow()))
    timeline = " ".join(f"{e.field} {e.old_value} {e.new_value} {e.reason}" for e in _case(db, case).events)
    assert secret not in timeline


def test_a_canned_reply_is_inserted_with_its_placeholders_filled(signed_in, db, case):
    reply = CannedReply(title="Sorry", locale="en", empathy=True, body="Hi {first_name}, about {order_number}.")
    db.session.add(reply)
    db.session.commit()
    response = signed_in.get(f"/agent/cases/{case.reference}/draft",
                             query_string={"canned": reply.id, "body": "Already typed."})
    html = response.get_data(as_text=True)
    assert f"Already typed.\n\nHi Alice, about {case.order.number}." in html
    assert "<html" in html
    fragment = signed_in.get(f"/agent/cases/{case.reference}/draft", query_string={"canned": reply.id},
                             headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and f"Hi Alice, about {case.order.number}." in fragment


def test_a_canned_reply_cannot_reach_into_python_objects(signed_in, db, case):
    reply = CannedReply(title="Odd", locale="en", body="{first_name.__class__} {0} {customer.email}")
    db.session.add(reply)
    db.session.commit()
    html = signed_in.get(f"/agent/cases/{case.reference}/draft", query_string={"canned": reply.id}).get_data(
        as_text=True)
    assert "{first_name.__class__} {0} {customer.email}" in html


@pytest.mark.parametrize("args", [{"canned": "abc"}, {"canned": "999999"}, {"article": "no-such"},
                                  {"canned": "999999", "article": "no-such"}])
def test_a_bad_insert_request_keeps_the_draft_and_never_fails(signed_in, case, args):
    response = signed_in.get(f"/agent/cases/{case.reference}/draft",
                             query_string=args | {"body": "Draft so far & <kept>"})
    assert response.status_code == 200
    assert ">Draft so far &amp; &lt;kept&gt;</textarea>" in response.get_data(as_text=True)


def test_an_overlong_draft_is_cut_to_the_message_limit_not_refused(signed_in, case):
    from portal.agent.service import MAX_MESSAGE_CHARS

    response = signed_in.get(f"/agent/cases/{case.reference}/draft", query_string={"body": "x" * 10000})
    assert response.status_code == 200
    assert f">{'x' * MAX_MESSAGE_CHARS}</textarea>" in response.get_data(as_text=True)


def test_approving_a_return_goes_through_the_case_lifecycle(signed_in, db, customer):
    case = make_case(customer, kind="return", status="needs_review")
    response = signed_in.post(f"/agent/cases/{case.reference}/return-decision",
                              data={"decision": "approve", "reason": ""})
    assert response.status_code == 302
    assert _case(db, case).status == "awaiting_item"
    approval, label = db.session.query(CaseEvent).filter_by(case_id=case.id, field="status").order_by(
        CaseEvent.id).all()
    assert approval.actor_type == "staff" and approval.new_value == "approved"
    assert (label.old_value, label.new_value) == ("approved", "awaiting_item")
    assert _case(db, case).return_label == "R" + case.reference[1:]


def test_rejecting_a_return_needs_a_reason(signed_in, db, customer):
    case = make_case(customer, kind="return", status="needs_review")
    assert signed_in.post(f"/agent/cases/{case.reference}/return-decision",
                          data={"decision": "reject", "reason": "  "}).status_code == 400
    assert _case(db, case).status == "needs_review"
    signed_in.post(f"/agent/cases/{case.reference}/return-decision",
                   data={"decision": "reject", "reason": "Worn and washed."})
    assert _case(db, case).status == "rejected"


def test_a_complaint_is_not_approved_like_a_return(signed_in, db, case):
    response = signed_in.post(f"/agent/cases/{case.reference}/return-decision", data={"decision": "approve"})
    assert response.status_code == 400
    assert _case(db, case).status == "escalated"


def test_resolving_with_a_coupon_keeps_its_value(signed_in, db, case):
    response = signed_in.post(f"/agent/cases/{case.reference}/resolve",
                              data={"resolution_type": "coupon", "amount": "15.50", "note": "Sorry again."})
    assert response.status_code == 302
    fresh = _case(db, case)
    assert (fresh.status, fresh.resolution_type, fresh.resolution_amount_cents) == ("resolved", "coupon", 1550)
    assert fresh.resolved_at is not None
    assert db.session.query(OutboxRow).filter_by(job_name="survey.invite").count() == 1


def test_a_yen_refund_is_typed_in_whole_yen_and_shown_without_decimals(signed_in, db, customer):
    case = make_case(customer, currency="JPY")
    refused = signed_in.post(f"/agent/cases/{case.reference}/resolve",
                             data={"resolution_type": "refund", "amount": "15.50", "note": "Refunded."})
    assert refused.status_code == 400 and _case(db, case).status == "escalated"

    signed_in.post(f"/agent/cases/{case.reference}/resolve",
                   data={"resolution_type": "refund", "amount": "1500", "note": "Refunded."})

    assert _case(db, case).resolution_amount_cents == 1500
    assert "¥1,500" in signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)


def test_an_explanation_needs_no_amount(signed_in, db, case):
    signed_in.post(f"/agent/cases/{case.reference}/resolve",
                   data={"resolution_type": "explanation", "amount": "", "note": "Explained the policy."})
    assert _case(db, case).resolution_type == "explanation"


@pytest.mark.parametrize("data", [
    {"resolution_type": "refund", "amount": "", "note": "x"},
    {"resolution_type": "refund", "amount": "-5", "note": "x"},
    {"resolution_type": "coupon", "amount": "1e9", "note": "x"},
    {"resolution_type": "coupon", "amount": "12.345", "note": "x"},
    {"resolution_type": "coupon", "amount": "NaN", "note": "x"},
    {"resolution_type": "bribe", "amount": "5", "note": "x"},
    {"resolution_type": "refund", "amount": "5", "note": ""},
])
def test_a_bad_resolution_is_refused_and_the_case_stays_open(signed_in, db, case, data):
    assert signed_in.post(f"/agent/cases/{case.reference}/resolve", data=data).status_code == 400
    assert _case(db, case).status == "escalated"


def test_resolving_a_resolved_case_is_refused_with_a_message(signed_in, db, customer):
    case = make_case(customer, status="closed")
    response = signed_in.post(f"/agent/cases/{case.reference}/resolve",
                              data={"resolution_type": "explanation", "note": "x"})
    assert response.status_code == 400
    assert "moved on" in response.get_data(as_text=True)


def test_changing_urgency_needs_a_reason_and_is_audited(signed_in, db, case, agent):
    assert signed_in.post(f"/agent/cases/{case.reference}/urgency",
                          data={"urgency": "low", "reason": ""}).status_code == 400
    signed_in.post(f"/agent/cases/{case.reference}/urgency", data={"urgency": "low", "reason": "Only a question"})
    fresh = _case(db, case)
    assert fresh.urgency == "low"
    assert fresh.first_response_due == fresh.created_at + timedelta(hours=24)
    event = db.session.query(CaseEvent).filter_by(case_id=case.id, field="urgency").one()
    assert (event.old_value, event.new_value, event.reason, event.staff_id) == (
        "high", "low", "Only a question", agent.id)


def test_an_unknown_urgency_is_refused(signed_in, db, case):
    assert signed_in.post(f"/agent/cases/{case.reference}/urgency",
                          data={"urgency": "critical", "reason": "x"}).status_code == 400
    assert _case(db, case).urgency == "high"


def test_reassigning_hands_the_case_over(signed_in, db, case, make_staff):
    colleague = make_staff("agent")
    signed_in.post(f"/agent/cases/{case.reference}/reassign", data={"staff_id": colleague.id, "reason": "shift"})
    assert _case(db, case).assignee_id == colleague.id
    assert db.session.query(CaseEvent).filter_by(case_id=case.id, field="assignee").one().reason == "shift"


@pytest.mark.parametrize("staff_id", ["999999", "abc", ""])
def test_reassigning_to_nobody_is_refused(signed_in, db, case, staff_id):
    assert signed_in.post(f"/agent/cases/{case.reference}/reassign", data={"staff_id": staff_id}).status_code == 400
    assert _case(db, case).assignee_id is None


def test_every_action_writes_a_case_event(signed_in, db, case, make_staff):
    colleague = make_staff("agent")
    ref = case.reference
    actions = [("take", {}), ("reveal", {"field": "email"}), ("note", {"body": "note"}), ("reply", {"body": "reply"}),
               ("urgency", {"urgency": "medium", "reason": "r"}), ("reassign", {"staff_id": colleague.id}),
               ("resolve", {"resolution_type": "explanation", "note": "done"})]
    for action, data in actions:
        response = signed_in.post(f"/agent/cases/{ref}/{action}", data=data)
        assert response.status_code in (200, 302), action  # a reveal answers with the contact itself
        with signed_in.session_transaction() as session:
            refusals = [message for category, message in session.pop("_flashes", []) if category == "error"]
        assert refusals == [], action
    fields = [e.field for e in db.session.query(CaseEvent).filter_by(case_id=case.id, actor_type="staff")]
    assert sorted(set(fields)) == ["assignee", "contact_revealed", "internal_note", "status", "urgency"]
    assert _case(db, case).status == "resolved"


def test_an_unknown_case_is_a_404(signed_in):
    assert signed_in.get("/agent/cases/C-ZZZZZZZZ").status_code == 404
    assert signed_in.get("/agent/cases/" + "x" * 300).status_code == 404


def test_the_workspace_names_codes_and_dates_in_the_agents_language(signed_in, db, customer, case):
    earlier = make_case(customer, kind="return", status="resolved", resolution_type="refund",
                        created_at=utcnow() - timedelta(days=3), resolved_at=utcnow() - timedelta(days=2))
    english = signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)
    signed_in.post("/locale", data={"locale": "zh", "next": "/"})
    chinese = signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)

    assert ">With a person</span>" in english and ">High</span>" in english
    assert ">人工处理中</span>" in chinese and ">高</span>" in chinese and "投诉" in chinese
    assert ">In transit</span>" in english and ">运输中</span>" in chinese  # the customer's order
    month_day = f"{earlier.created_at.month}月{earlier.created_at.day}日"
    assert month_day in chinese  # the earlier case's date, written the Chinese way
    assert earlier.created_at.strftime("%b") not in chinese.split(earlier.reference, 1)[1][:300]


def test_the_workspace_and_queue_say_what_the_case_is_about_in_words(signed_in, db, customer, make_order):
    order = make_order(customer=customer, status="delivered")
    complaint = make_case(customer, order, category="double_charge", desired_outcome="refund")
    ret = make_case(customer, order, kind="return", category="size", desired_outcome="store_credit")

    english_complaint = signed_in.get(f"/agent/cases/{complaint.reference}").get_data(as_text=True)
    english_return = signed_in.get(f"/agent/cases/{ret.reference}").get_data(as_text=True)
    queue = signed_in.get("/agent").get_data(as_text=True)
    signed_in.post("/locale", data={"locale": "zh", "next": "/"})
    chinese_complaint = signed_in.get(f"/agent/cases/{complaint.reference}").get_data(as_text=True)

    assert "I was charged twice" in english_complaint and "<dd>A refund</dd>" in english_complaint
    assert "Wrong size or fit" in english_return and "<dd>Store credit</dd>" in english_return
    assert "I was charged twice" in queue and "double_charge" not in queue
    assert "double_charge" not in chinese_complaint and "I was charged twice" not in chinese_complaint


def test_an_unknown_category_is_shown_as_it_was_stored(signed_in, db, customer):
    case = make_case(customer, category="from-the-old-system")

    assert "from-the-old-system" in signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)


def _summary_and_rest(html):
    """The error summary at the top of the workspace, and whether it comes before the case itself."""
    summary = re.search(r'<div class="form-errors" role="alert" tabindex="-1" autofocus>(.*?)</div>', html, re.S)
    assert summary is not None, "the refused page opens on an error summary"
    return summary.group(1), summary.start() < html.index('<div class="workspace">')


def test_a_refused_urgency_change_opens_on_a_summary_linked_to_the_reason(signed_in, db, case):
    response = signed_in.post(f"/agent/cases/{case.reference}/urgency", data={"urgency": "medium", "reason": ""})

    assert response.status_code == 400
    assert _case(db, case).urgency == "high"
    assert db.session.query(CaseEvent).filter_by(case_id=case.id, field="urgency").count() == 0
    html = response.get_data(as_text=True)
    summary, at_the_top = _summary_and_rest(html)
    assert at_the_top
    assert "Nothing was saved: correct the marked values." in summary
    assert '<a href="#urgency-reason">Say why the urgency changes.</a>' in summary
    assert 'id="urgency-reason"' in html and 'aria-describedby="urgency-error"' in html


def test_a_refused_resolution_opens_on_a_summary_linked_to_the_amount(signed_in, db, case):
    response = signed_in.post(f"/agent/cases/{case.reference}/resolve",
                              data={"resolution_type": "refund", "amount": "-50", "note": "Refunded."})

    assert response.status_code == 400
    fresh = _case(db, case)
    assert (fresh.status, fresh.resolution_type, fresh.resolved_at) == ("escalated", "", None)
    assert db.session.query(OutboxRow).count() == 0
    html = response.get_data(as_text=True)
    summary, at_the_top = _summary_and_rest(html)
    assert at_the_top
    assert '<a href="#resolution-amount">Enter an amount greater than 0, like 15 or 15.50.</a>' in summary
    assert 'id="resolution-amount"' in html and 'value="-50"' in html  # what was typed stays


def test_the_summary_speaks_the_agents_language_and_is_absent_when_nothing_was_refused(signed_in, case):
    assert 'class="form-errors"' not in signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)
    signed_in.post("/locale", data={"locale": "zh", "next": "/"})
    html = signed_in.post(f"/agent/cases/{case.reference}/urgency",
                          data={"urgency": "low", "reason": ""}).get_data(as_text=True)

    summary, _at_the_top = _summary_and_rest(html)
    assert "未保存任何内容" in summary and 'href="#urgency-reason"' in summary


def test_resolving_an_untaken_case_is_its_first_response_and_makes_it_the_agents(signed_in, db, case, agent):
    assert (case.assignee_id, case.first_response_at) == (None, None)

    response = signed_in.post(f"/agent/cases/{case.reference}/resolve",
                              data={"resolution_type": "refund", "amount": "12,50", "note": "Refunded in full."})

    assert response.status_code == 302
    fresh = _case(db, case)
    assert fresh.status == "resolved" and fresh.resolution_amount_cents == 1250
    assert fresh.first_response_at == fresh.resolved_at
    assert fresh.assignee_id == agent.id
    event = db.session.query(CaseEvent).filter_by(case_id=case.id, field="assignee").one()
    assert (event.new_value, event.staff_id) == (agent.email, agent.id)
    html = signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)
    first_response = re.search(r"<dt>First response</dt><dd>(.*?)</dd>", html).group(1)
    assert first_response == "met"
    assert re.search(r"<dt>Assignee</dt><dd>(.*?)</dd>", html).group(1) == agent.name


def test_resolving_a_colleagues_case_leaves_it_theirs_and_keeps_the_first_reply(signed_in, db, case, make_staff):
    colleague = make_staff("agent")
    answered_at = utcnow() - timedelta(minutes=3)
    case.assignee_id, case.first_response_at = colleague.id, answered_at
    db.session.commit()

    signed_in.post(f"/agent/cases/{case.reference}/resolve", data={"resolution_type": "explanation", "note": "x"})

    fresh = _case(db, case)
    assert (fresh.status, fresh.assignee_id, fresh.first_response_at) == ("resolved", colleague.id, answered_at)
