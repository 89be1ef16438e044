"""The IMAP path against a real Dovecot: handled mail moves to the done folder, a re-read lands once."""

import pytest

from portal.inbound.imap import poll_mailbox, public_url
from tests.agent.helpers import make_case
from tests.inbound.helpers import compose, customer_messages, inbound_rows, process_all, reply_address

pytestmark = pytest.mark.integration


def _poll(app, mailbox):
    return poll_mailbox(mailbox, "INBOX", "Processed", app.config["INBOUND_MAX_BYTES"])


def _count(mailbox, folder):
    mailbox.select_folder(folder)
    return len(mailbox.search("ALL"))


def test_a_reply_in_the_mailbox_lands_and_moves_to_the_done_folder(app, redis, mailbox, customer):
    case = make_case(customer, status="answered")
    text = "The new lid fits.\n\nOn Mon, Dec 7, 2026 Help Center <help@shop.example> wrote:\n> Our answer\n"
    mailbox.append("INBOX", bytes(compose(customer.email, reply_address(case), text)))

    assert _poll(app, mailbox) == 1
    process_all(app, redis)

    assert [m.body for m in customer_messages(case)] == ["The new lid fits."]
    assert (_count(mailbox, "INBOX"), _count(mailbox, "Processed")) == (0, 1)
    assert _poll(app, mailbox) == 0, "nothing is read twice"


def test_the_same_message_read_again_lands_once(app, redis, mailbox, customer):
    """A worker killed after storing a message and before moving it finds it again on restart."""
    case = make_case(customer, status="answered")
    raw = bytes(compose(customer.email, reply_address(case), "Just once."))
    mailbox.append("INBOX", raw)
    _poll(app, mailbox)
    mailbox.append("INBOX", raw)  # as if the move never happened
    _poll(app, mailbox)
    process_all(app, redis)

    assert [m.body for m in customer_messages(case)] == ["Just once."]
    assert len(inbound_rows()) == 1
    assert _count(mailbox, "Processed") == 2


def test_an_oversize_message_in_the_mailbox_is_counted_and_moved_not_read(app, redis, mailbox, customer):
    case = make_case(customer, status="answered")
    app.config["INBOUND_MAX_BYTES"] = 20_000
    mailbox.append("INBOX", bytes(compose(customer.email, reply_address(case), "x" * 30_000)))
    _poll(app, mailbox)
    process_all(app, redis)

    assert customer_messages(case) == []
    [row] = inbound_rows()
    assert (row.status, row.reason) == ("dropped", "too_large")
    assert _count(mailbox, "Processed") == 1


def test_the_mailbox_url_is_shown_without_its_password(dovecot):
    assert "imap-test-password" not in public_url(dovecot)


def test_the_worker_s_poller_picks_up_new_mail_while_idling(app, redis, mailbox, dovecot, customer):
    import time

    from portal.inbound.imap import IMAPPoller

    case = make_case(customer, status="answered")
    app.config.update(INBOUND_IMAP_URL=dovecot, INBOUND_IMAP_POLL_SECONDS=30)
    poller = IMAPPoller(app)
    poller.start()
    try:
        time.sleep(0.5)  # it is idling by now; IDLE wakes it, not the 30 s poll
        mailbox.append("INBOX", bytes(compose(customer.email, reply_address(case), "Arrived while idle.")))
        deadline = time.monotonic() + 15
        while not inbound_rows() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        poller.stop()
    process_all(app, redis)

    assert [m.body for m in customer_messages(case)] == ["Arrived while idle."]
