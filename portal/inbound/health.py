"""The inbound channel on /healthz: where mail comes in, what waits, what was refused in the last day."""

from flask import current_app

from portal.extensions import redis_connection
from portal.inbound import imap, service


def report():
    config = current_app.config
    port = config["INBOUND_SMTP_PORT"]
    result = {"status": "up", "smtp": "off" if port == "off" else f"{config['INBOUND_SMTP_HOST']}:{port}",
              "imap": imap.public_url(config["INBOUND_IMAP_URL"]) if config["INBOUND_IMAP_URL"] else "off",
              **service.status_report()}
    error = redis_connection().get(imap.ERROR_KEY) if config["INBOUND_IMAP_URL"] else None
    if error:
        raise RuntimeError(f"imap: {error.decode()}")
    return result
