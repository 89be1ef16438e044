"""What agents see of mail: "by e-mail" on a message, and a customer's address that bounced."""

from portal.extensions import db
from portal.home.health import WORKER_HEARTBEAT_PREFIX
from portal.models import CaseMessage, utcnow
from tests.agent.helpers import make_case, sign_in_customer, sign_in_staff
from tests.home.test_health import _make_search_index


def _case_with_an_email_reply(customer):
    case = make_case(customer)
    db.session.add(CaseMessage(case_id=case.id, author_type="customer", body="Sent from my mail app.",
                               channel="email", created_at=utcnow()))
    customer.email_failing_at = utcnow()
    customer.email_failing_reason = "Undelivered Mail Returned to Sender"
    db.session.commit()
    return case


def test_the_workspace_marks_mail_replies_and_a_failing_address(client, customer, agent):
    case = _case_with_an_email_reply(customer)
    sign_in_staff(client, agent)

    html = client.get(f"/agent/cases/{case.reference}").get_data(as_text=True)

    assert "by e-mail" in html
    assert "Mail to this address bounced" in html and "Undelivered Mail Returned to Sender" in html
    # The workspace's presence poll brings new messages into the open page (templates/agent/_presence.html).
    assert 'id="presence"' in html and "every " in html, "the conversation refreshes itself"


def test_customers_never_see_the_failing_address_note_or_the_agents_workspace(client, customer):
    case = _case_with_an_email_reply(customer)
    sign_in_customer(client, customer)

    assert client.get(f"/agent/cases/{case.reference}").status_code in (302, 403)
    page = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "Sent from my mail app." in page
    assert "bounced" not in page


def test_healthz_reports_the_inbound_channels_and_refusals(app, client, redis):
    _make_search_index(app)
    redis.set(WORKER_HEARTBEAT_PREFIX + "test", 1, ex=30)

    inbound = client.get("/healthz").get_json()["checks"]["inbound"]

    assert inbound == {"status": "up", "smtp": "127.0.0.1:2525", "imap": "off", "waiting": 0, "refused_24h": {}}


def test_healthz_shows_an_imap_failure_the_worker_reported(app, client, redis):
    from portal.inbound.imap import ERROR_KEY

    _make_search_index(app)
    redis.set(WORKER_HEARTBEAT_PREFIX + "test", 1, ex=30)
    app.config["INBOUND_IMAP_URL"] = "imaps://support:secret@imap.example.com/INBOX"
    redis.set(ERROR_KEY, "LoginError: authentication failed")

    response = client.get("/healthz")

    assert response.status_code == 503
    inbound = response.get_json()["checks"]["inbound"]
    assert inbound["status"] == "down" and "authentication failed" in inbound["error"]
    assert "secret" not in response.get_data(as_text=True)
