"""Running the desk from the browser: staff accounts (admins change them, leads read them) and the audit log."""

from flask import Blueprint

from portal.auth.staff import no_store

bp = Blueprint("admin", __name__)
bp.after_request(no_store)

from portal.admin import shop_views, views  # noqa: E402, F401 - registers the routes on bp
