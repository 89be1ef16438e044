"""The help center: search, articles by category, feedback and the self-service actions they lead to."""

from flask import Blueprint

bp = Blueprint("help", __name__)


@bp.record_once
def _on_register(_state):
    from portal.help.service import install_reindex_listener

    install_reindex_listener()


from portal.help import views  # noqa: E402, F401 - registers the routes on bp
