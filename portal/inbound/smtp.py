"""The embedded SMTP server (aiosmtpd) the worker runs: customers' replies arrive here by plain SMTP.

It takes mail only for our own addresses, stores each message before it answers 250, and leaves the rest to the
worker's `inbound.process` job: a sender whose connection breaks before the 250 sends again, and the second
copy is recognised by its Message-ID.
"""

import asyncio
import logging
import socket
import threading
from email.utils import parseaddr

from aiosmtpd.smtp import SMTP

from portal.extensions import db
from portal.inbound import service, tokens

log = logging.getLogger("portal.inbound.smtp")


class InboundHandler:
    def __init__(self, app):
        self.app = app

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.app.app_context():
            ours = tokens.is_ours(address) or address.lower() == parseaddr(self.app.config["MAIL_FROM"])[1].lower()
        if not ours:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        try:
            result = await asyncio.get_running_loop().run_in_executor(None, self._accept, raw,
                                                                       list(envelope.rcpt_tos))
        except Exception:
            log.exception("inbound smtp: could not store a message; the sender will try again")
            return "451 4.3.0 Try again later"
        if result == "too_large":
            return "552 5.3.4 Message too big"
        return "250 2.0.0 Accepted"

    def _accept(self, raw, recipients):
        with self.app.app_context():
            try:
                return service.accept(raw, "smtp", recipients)
            finally:
                db.session.remove()


class InboundSMTPServer:
    """An SMTP server on its own event loop in a daemon thread; port 0 picks a free port (`address` tells)."""

    def __init__(self, app, host, port):
        self.app = app
        self.host, self.port = host, int(port)
        self.address = None
        self._loop = self._server = self._thread = None

    def start(self):
        sock = socket.create_server((self.host, self.port))
        host, port = sock.getsockname()[:2]
        self.address = f"{host}:{port}"
        handler = InboundHandler(self.app)
        limit = self.app.config["INBOUND_MAX_BYTES"]
        hostname = self.app.config["MAIL_REPLY_DOMAIN"]
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve():
            # The loop is made and run in this thread alone: the caller's thread may run a loop of its own.
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(self._loop.create_server(
                lambda: SMTP(handler, data_size_limit=limit, enable_SMTPUTF8=True, hostname=hostname,
                             loop=self._loop),
                sock=sock))
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="inbound-smtp", daemon=True)
        self._thread.start()
        ready.wait(10)
        log.info("inbound smtp: listening on %s", self.address)
        return self

    def stop(self):
        if self._loop is None:
            return

        async def close():
            self._server.close()
            await self._server.wait_closed()
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(close(), self._loop)
        self._thread.join(timeout=5)
        self._loop = None
