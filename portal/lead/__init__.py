"""The support leads' pages: the survey and service dashboard, its CSV exports, and knowledge editing."""

from flask import Blueprint

from portal.auth.staff import no_store

bp = Blueprint("lead", __name__)
bp.after_request(no_store)


@bp.record_once
def _watch_rollup_changes(_state):
    # On the app, not at import: every app that shows the dashboard keeps its roll-ups honest.
    from portal.lead.rollups import watch_changes

    watch_changes()


from portal.lead import views  # noqa: E402, F401 - registers the routes on bp
