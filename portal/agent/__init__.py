"""The agents' workspace: the queue of escalated cases, one case with its customer, and follow-up calls."""

from flask import Blueprint

from portal.auth.staff import no_store

bp = Blueprint("agent", __name__)
bp.after_request(no_store)

from portal.agent import live, views  # noqa: E402, F401 - registers the routes on bp
