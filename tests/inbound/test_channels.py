"""What the worker starts for mail: the SMTP server when its port is free, the IMAP poller when configured."""

from portal.inbound.smtp import InboundSMTPServer
from worker.inbound import start_channels


def test_a_second_worker_on_the_host_leaves_the_smtp_port_to_the_first(app, inbound_smtp):
    host, port = inbound_smtp.rsplit(":", 1)
    app.config.update(INBOUND_SMTP_HOST=host, INBOUND_SMTP_PORT=port)

    assert start_channels(app) == []


def test_the_smtp_server_and_the_imap_poller_start_as_configured(app):
    app.config.update(INBOUND_SMTP_PORT="0", INBOUND_IMAP_URL="imap://u:p@127.0.0.1:1/INBOX",
                      INBOUND_IMAP_POLL_SECONDS=1)
    started = start_channels(app)
    try:
        assert [type(c).__name__ for c in started] == ["InboundSMTPServer", "IMAPPoller"]
        assert isinstance(started[0], InboundSMTPServer) and started[0].address.startswith("127.0.0.1:")
    finally:
        for channel in started:
            channel.stop()


def test_nothing_starts_when_smtp_is_off_and_no_mailbox_is_set(app):
    app.config.update(INBOUND_SMTP_PORT="off", INBOUND_IMAP_URL="")

    assert start_channels(app) == []
