"""Extensions, created here without an app and bound in create_app."""

from flask import current_app
from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
htmx = HTMX()
limiter = Limiter(key_func=get_remote_address)


def redis_connection():
    """The app's Redis client: short timeouts, so a Redis outage never stalls a page."""
    client = current_app.extensions.get("portal_redis")
    if client is None:
        from redis import Redis

        client = Redis.from_url(
            current_app.config["REDIS_URL"],
            socket_connect_timeout=0.5,
            socket_timeout=2,
            health_check_interval=30,
        )
        current_app.extensions["portal_redis"] = client
    return client
