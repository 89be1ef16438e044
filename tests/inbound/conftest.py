import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from portal.inbound.smtp import InboundSMTPServer
from tests.inbound.helpers import free_port


@pytest.fixture
def inbound_smtp(app):
    """The worker's inbound SMTP server on a free loopback port; yields its host:port."""
    server = InboundSMTPServer(app, "127.0.0.1", 0).start()
    yield server.address
    server.stop()


DOVECOT = "/usr/sbin/dovecot"
DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/home/%u
}}
mail_location = maildir:{root}/mail/%u
# The unprivileged `dovecot` system user owns the test mail; system users sit below the default of 500.
first_valid_uid = {uid}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@pytest.fixture(scope="session")
def dovecot():
    """A real IMAP server (Dovecot, Debian's dovecot-imapd) on a free loopback port; yields its imap:// URL.

    Its mail lives in a directory of its own that the server's unprivileged user can reach (pytest's tmp dirs
    are root's alone)."""
    if not Path(DOVECOT).exists():
        message = f"the IMAP tests need Dovecot at {DOVECOT} (apt-get install dovecot-imapd)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="portal-imap-"))
    root.chmod(0o755)
    port = free_port()
    (root / "dovecot.conf").write_text(DOVECOT_CONF.format(root=root, port=port, uid=pwd.getpwnam("dovecot").pw_uid))
    (root / "passwd").write_text("support@shop.example:{PLAIN}imap-test-password\n")
    for name in ("mail", "home"):
        (root / name).mkdir()
        shutil.chown(root / name, "dovecot", "dovecot")
    server = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.DEVNULL,
                              stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"Dovecot did not start: {(root / 'dovecot.log').read_text(errors='replace')}")
            time.sleep(0.1)
    yield f"imap://support%40shop.example:imap-test-password@127.0.0.1:{port}/INBOX"
    server.terminate()
    server.wait(10)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mailbox(dovecot):
    """A connected client on an emptied INBOX and Processed folder."""
    from portal.inbound.imap import connect

    client, folder = connect(dovecot)
    for name in (folder, "Processed"):
        if client.folder_exists(name):
            client.select_folder(name)
            client.delete_messages(client.search("ALL"))
            client.expunge()
    yield client
    client.logout()
