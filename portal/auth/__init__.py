"""Sign-in: customers by e-mail link (customers.py); staff sign-in will sit beside it in this package."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import views  # noqa: E402,F401  (registers the routes on bp)
