"""The signed-in customer's account: orders, cases, inbox, data download and deletion."""

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from portal.account import views  # noqa: E402,F401  (registers the routes on bp)
