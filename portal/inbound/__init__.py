"""Conversations by e-mail: replies to case mail land on their case; mail to the plain address opens one."""

from flask import Blueprint

bp = Blueprint("inbound", __name__, url_prefix="/api/inbound")

from portal.inbound import views  # noqa: E402,F401 - routes register on bp
