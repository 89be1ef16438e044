"""Order tracking for customers and guests, and the shop's feed of orders and shipments."""

from flask import Blueprint

bp = Blueprint("orders", __name__, url_prefix="/orders")

from portal.orders import views  # noqa: E402,F401  (registers the routes on bp)
