"""The support leads' pages: the survey and service dashboard, its CSV exports, and knowledge editing."""

from flask import Blueprint

from portal.auth.staff import no_store

bp = Blueprint("lead", __name__)
bp.after_request(no_store)

from portal.lead import views  # noqa: E402, F401 - registers the routes on bp
