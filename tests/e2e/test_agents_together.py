"""Browser: two agents in two browser contexts on one case see each other, see who is typing, get each other's
replies without a reload, and a reply written over a colleague's is held for review first."""

from tests.agent.helpers import make_case
from tests.e2e.test_staff_workspace import _staff_sign_in


def _named_agent(make_staff, db, name):
    staff = make_staff("agent")
    staff.name = name
    db.session.commit()
    return staff


def test_two_agents_on_one_case(live_server, new_page, db, redis, customer, make_staff):
    base = live_server.url
    live_server.app.config["PRESENCE_POLL_SECONDS"] = 1
    ann, bob = _named_agent(make_staff, db, "Ann Agent"), _named_agent(make_staff, db, "Bob Agent")
    case = make_case(customer)
    pages = {}
    for person in (ann, bob):
        page = new_page("desktop")
        _staff_sign_in(page, base, person)
        page.wait_for_url(f"{base}/agent")
        page.goto(f"{base}/agent/cases/{case.reference}")
        pages[person.name] = page
    ann_page, bob_page = pages["Ann Agent"], pages["Bob Agent"]

    ann_page.locator("#presence", has_text="Also on this case: Bob Agent").wait_for()
    bob_page.locator("#presence", has_text="Also on this case: Ann Agent").wait_for()

    bob_page.evaluate("window.stillTheSamePage = true")
    bob_page.get_by_label("Message (the customer reads it and gets an e-mail)").fill("Sorry, a refund is on its way.")
    ann_page.locator("#presence", has_text="Bob Agent is writing a reply…").wait_for()

    ann_box = ann_page.get_by_label("Message (the customer reads it and gets an e-mail)")
    ann_box.fill("A new kettle ships today.")
    ann_page.get_by_role("button", name="Send reply").click()
    ann_page.locator(".staff-flashes", has_text="Your reply was sent").wait_for()

    # Bob's open page shows Ann's reply without a reload, and tells him it is new.
    bob_page.locator("#conversation", has_text="A new kettle ships today.").wait_for()
    bob_page.locator("#presence", has_text="1 new message since you opened this case").wait_for()
    assert bob_page.evaluate("window.stillTheSamePage === true")

    # Bob's reply was written before he saw Ann's: it is held, with his words kept, until he sends again.
    bob_page.get_by_role("button", name="Send reply").click()
    bob_page.locator(".staff-flashes", has_text="1 new reply arrived while you wrote yours").wait_for()
    assert bob_page.get_by_label("Message (the customer reads it and gets an e-mail)").input_value() == \
        "Sorry, a refund is on its way."
    bob_page.get_by_role("button", name="Send reply").click()
    bob_page.locator(".staff-flashes", has_text="Your reply was sent").wait_for()
    assert bob_page.locator("#conversation .msg-agent").count() == 2
