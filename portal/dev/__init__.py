"""Developer tools, served only when PORTAL_ENV=development: the mailbox of the file mail sink."""

from flask import Blueprint, abort, current_app

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def only_in_development():
    if not current_app.config["DEV_MODE"]:
        abort(404)


from portal.dev import views  # noqa: E402,F401  (registers the routes on bp)
