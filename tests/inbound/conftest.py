import pytest

from portal.inbound.smtp import InboundSMTPServer


@pytest.fixture
def inbound_smtp(app):
    """The worker's inbound SMTP server on a free loopback port; yields its host:port."""
    server = InboundSMTPServer(app, "127.0.0.1", 0).start()
    yield server.address
    server.stop()
