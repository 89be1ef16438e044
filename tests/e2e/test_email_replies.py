"""Browser: an agent answers a case; the customer answers the e-mail over SMTP; the reply appears in the open
workspace without a reload, marked "by e-mail"."""

from email.utils import parseaddr

from playwright.sync_api import expect
from redis import Redis

from portal.inbound.smtp import InboundSMTPServer
from tests.agent.helpers import make_case
from tests.e2e.conftest import screenshot
from tests.inbound.helpers import compose, process_all, send_smtp

PASSWORD = "correct horse battery"


def test_a_customers_e_mail_reply_appears_in_the_agents_workspace_without_a_reload(live_server, page, customer,
                                                                                   agent, mail_sink):
    app, base = live_server.app, live_server.url
    app.config["AGENT_QUEUE_REFRESH_SECONDS"] = 1
    redis = Redis.from_url(app.config["REDIS_URL"])
    redis.flushdb()
    smtp = InboundSMTPServer(app, "127.0.0.1", 0).start()
    case = make_case(customer, assignee_id=agent.id)
    try:
        page.goto(f"{base}/staff/signin")
        page.get_by_label("Work e-mail").fill(agent.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{base}/agent/cases/{case.reference}")
        page.get_by_label("Message (the customer reads it and gets an e-mail)").fill("Is the lid cracked too?")
        page.get_by_role("button", name="Send reply").click()
        expect(page.locator(".staff-flashes")).to_contain_text("Your reply was sent")
        page.evaluate("window.stillTheSamePage = true")

        process_all(app, redis)  # the worker mails our answer, with the case's reply address
        [answer] = mail_sink.to(customer.email)
        reply = compose(customer.email, parseaddr(answer["Reply-To"])[1],
                        "Yes, the lid too.\n\nOn Monday Help Center wrote:\n> Is the lid cracked too?\n",
                        subject=f"Re: {answer['Subject']}", headers={"In-Reply-To": answer["Message-ID"]})
        send_smtp(smtp.address, reply)
        process_all(app, redis)

        latest = page.locator("#conversation .msg-customer").last
        expect(latest).to_contain_text("Yes, the lid too.", timeout=10_000)
        expect(latest).to_contain_text("by e-mail")
        expect(latest).not_to_contain_text("Is the lid cracked too?")
        assert page.evaluate("window.stillTheSamePage === true"), "the page was not reloaded"
        screenshot(page, "staff-workspace-email-reply-1280")
    finally:
        smtp.stop()
        redis.close()
