"""IMAP polling of a support mailbox (imapclient): IDLE where the server has it, else a poll every
INBOUND_IMAP_POLL_SECONDS. A message is moved to INBOUND_IMAP_DONE_FOLDER once it is stored, so nothing is read
twice across restarts; a worker killed between the two finds it again, and the Message-ID makes it a duplicate.
"""

import contextlib
import logging
import ssl
import threading
import time
from urllib.parse import unquote, urlsplit

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from portal.extensions import db, redis_connection
from portal.inbound import service

log = logging.getLogger("portal.inbound.imap")
ERROR_KEY = "portal:inbound:imap:error"


def mailbox_settings(url):
    """(host, port, use_ssl, user, password, folder) from imap(s)://user:password@host:port/FOLDER."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise ValueError(f"INBOUND_IMAP_URL must start with imap:// or imaps://, not {parts.scheme!r}")
    use_ssl = parts.scheme == "imaps"
    return (parts.hostname or "localhost", parts.port or (993 if use_ssl else 143), use_ssl,
            unquote(parts.username or ""), unquote(parts.password or ""), unquote(parts.path.strip("/")) or "INBOX")


def public_url(url):
    """The URL without its password, for /healthz and logs."""
    host, port, use_ssl, user, _password, folder = mailbox_settings(url)
    return f"{'imaps' if use_ssl else 'imap'}://{user}@{host}:{port}/{folder}"


def connect(url, timeout=30):
    host, port, use_ssl, user, password, folder = mailbox_settings(url)
    client = IMAPClient(host, port=port, ssl=use_ssl, ssl_context=ssl.create_default_context() if use_ssl else None,
                        timeout=timeout)
    client.login(user, password)
    return client, folder


def poll_mailbox(client, folder, done_folder, max_bytes):
    """Store every message in `folder` and move it to `done_folder`; returns how many were handled."""
    if not client.folder_exists(done_folder):
        client.create_folder(done_folder)
    client.select_folder(folder)
    uids = client.search(["NOT", "DELETED"])
    handled = 0
    for uid, data in client.fetch(uids, ["RFC822.SIZE"]).items():
        if data[b"RFC822.SIZE"] > max_bytes:
            head = client.fetch([uid], ["BODY.PEEK[HEADER]"])[uid][b"BODY[HEADER]"]
            service.refuse_oversize(head, "imap", data[b"RFC822.SIZE"])
        else:
            raw = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
            service.accept(raw, "imap")
        _move(client, uid, done_folder)
        handled += 1
    return handled


def _move(client, uid, done_folder):
    if client.has_capability("MOVE"):
        client.move([uid], done_folder)
    else:
        client.copy([uid], done_folder)
        client.delete_messages([uid])
        client.expunge([uid]) if client.has_capability("UIDPLUS") else client.expunge()


class IMAPPoller(threading.Thread):
    """The worker's mailbox reader; a failure is logged, shown on /healthz, and retried."""

    def __init__(self, app):
        super().__init__(name="inbound-imap", daemon=True)
        self.app = app
        self.stopping = threading.Event()

    def run(self):
        config = self.app.config
        every = config["INBOUND_IMAP_POLL_SECONDS"]
        while not self.stopping.is_set():
            try:
                client, folder = connect(config["INBOUND_IMAP_URL"])
                try:
                    while not self.stopping.is_set():
                        self._poll(client, folder)
                        self._wait(client, every)
                finally:
                    client.logout()
            except Exception as error:  # noqa: BLE001 - the mailbox or the database: either way, retry
                log.warning("inbound imap: %s; retrying", error, exc_info=not isinstance(error, IMAPClientError))
                with contextlib.suppress(Exception), self.app.app_context():
                    redis_connection().set(ERROR_KEY, f"{type(error).__name__}: {error}"[:300], ex=every * 3)
                self.stopping.wait(min(every, 30))

    def _poll(self, client, folder):
        with self.app.app_context():
            try:
                handled = poll_mailbox(client, folder, self.app.config["INBOUND_IMAP_DONE_FOLDER"],
                                       self.app.config["INBOUND_MAX_BYTES"])
                redis_connection().delete(ERROR_KEY)
            finally:
                db.session.remove()
        if handled:
            log.info("inbound imap: %d message(s) stored", handled)

    def _wait(self, client, seconds):
        if not client.has_capability("IDLE"):
            self.stopping.wait(seconds)
            return
        client.idle()
        try:
            # In one-second steps, so that a stopping worker is not kept waiting for the whole poll.
            deadline = time.monotonic() + seconds
            while not self.stopping.is_set() and time.monotonic() < deadline:
                if client.idle_check(timeout=1):
                    break
        finally:
            client.idle_done()

    def stop(self):
        self.stopping.set()
        self.join(timeout=5)
