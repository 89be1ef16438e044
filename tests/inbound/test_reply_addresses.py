"""Case mail carries a reply address that proves its case and customer, and threads in mail clients."""

from datetime import timedelta
from email.utils import parseaddr

from portal.extensions import db
from portal.inbound import tokens
from portal.jobs import schedule
from portal.models import CaseMessage, utcnow
from tests.worker.cases import make_case, status_event
from worker import runtime


def test_an_agents_answer_goes_out_with_a_reply_address_for_its_case(app, redis, customer, agent, mail_sink):
    case = make_case(customer, status="answered", escalated=True)
    db.session.add(CaseMessage(case_id=case.id, author_type="agent", staff_id=agent.id, body="It is on its way."))
    event = status_event(case, "escalated", "answered")
    schedule("case.notify", case.id, event.id, key=f"case:{case.id}:event:{event.id}")
    db.session.commit()
    runtime.run(app, burst=True)

    [message] = mail_sink.to(customer.email)
    reply_to = parseaddr(message["Reply-To"])[1]
    assert reply_to.startswith("support+") and reply_to.endswith("@shop.example")
    assert tokens.case_for(tokens.token_in(reply_to), utcnow()) == (case, None)
    thread = f"<case.{case.reference}@shop.example>"
    assert (message["In-Reply-To"], message["References"]) == (thread, thread)
    assert message["Message-ID"].endswith("@shop.example>")
    assert "You can reply to this e-mail" in message.get_body(("plain",)).get_content()


def test_a_token_names_one_case_of_one_customer(app, customer, make_customer):
    now = utcnow()
    mine, other = make_case(customer), make_case(make_customer())
    token = tokens.reply_token(mine, now)
    case_part, day, mac = token.split("-")
    other_case_part = tokens.reply_token(other, now).split("-")[0]

    assert tokens.case_for(token, now) == (mine, None)
    assert tokens.case_for(token.upper().lower(), now) == (mine, None), "servers may fold the case of the address"
    assert tokens.case_for(f"{other_case_part}-{day}-{mac}", now) == (None, "forged_token"), "not reusable"
    assert tokens.case_for(f"{case_part}-{day}-{'a' * 16}", now) == (None, "forged_token")
    assert tokens.case_for("zzzzzzzzzzzz-1-" + "a" * 16, now) == (None, "forged_token")
    assert tokens.case_for("../../etc", now) == (None, "forged_token")


def test_a_token_expires(app, customer):
    case = make_case(customer)
    issued = utcnow() - timedelta(days=app.config["MAIL_REPLY_TOKEN_DAYS"] + 1)

    assert tokens.case_for(tokens.reply_token(case, issued), utcnow()) == (None, "expired_token")


def test_a_token_is_no_longer_valid_when_the_case_changes_hands(app, customer, make_customer):
    case = make_case(customer)
    token = tokens.reply_token(case, utcnow())
    case.customer_id = make_customer().id
    db.session.commit()

    assert tokens.case_for(token, utcnow()) == (None, "forged_token")


def test_only_our_addresses_are_ours(app):
    assert tokens.token_in("Support+abc-1-aaaaaaaaaaaaaaaa@Shop.Example") == "abc-1-aaaaaaaaaaaaaaaa"
    assert tokens.token_in("support@shop.example") == ""
    assert tokens.token_in("support+x@evil.example") is None
    assert tokens.token_in("supportx@shop.example") is None
