"""The self-service portal: create_app builds a configured Flask application."""

from pathlib import Path

from flask import Flask

from portal.config import Config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None):
    """Build the app; `config` (a mapping) overrides settings read from the environment."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    overrides = dict(config or {})
    # ENVIRON stands in for os.environ, so tests can give the app an environment without changing ours.
    settings = Config(app.instance_path, env=overrides.pop("ENVIRON", None))
    app.config.update(settings.as_dict())
    app.config.update(overrides)

    from portal import web
    from portal.extensions import babel, csrf, db, htmx, limiter, migrate
    from portal.ops import requests as ops_requests

    ops_requests.init_app(app)  # first: its id and clock cover every other hook
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)
    web.init_app(app)

    from portal.home import bp as home_bp

    app.register_blueprint(home_bp)

    from portal.help import bp as help_bp

    app.register_blueprint(help_bp, url_prefix="/help")

    from portal.account import bp as account_bp
    from portal.auth import bp as auth_bp
    from portal.orders import bp as orders_bp
    from portal.orders.webhook import bp as api_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(api_bp)

    from portal.cases.views import bp as cases_bp
    from portal.complaints.views import bp as complaints_bp
    from portal.returns.views import bp as returns_bp

    app.register_blueprint(cases_bp)
    app.register_blueprint(complaints_bp)
    app.register_blueprint(returns_bp)

    from portal.dev import bp as dev_bp
    from portal.surveys import bp as surveys_bp

    app.register_blueprint(surveys_bp)
    app.register_blueprint(dev_bp)

    from portal.inbound import bp as inbound_bp

    app.register_blueprint(inbound_bp)

    from portal.assistant import bp as assistant_bp

    app.register_blueprint(assistant_bp, url_prefix="/assistant")

    from portal.admin import bp as admin_bp
    from portal.agent import bp as agent_bp
    from portal.auth.staff import bp as staff_auth_bp
    from portal.lead import bp as lead_bp

    app.register_blueprint(staff_auth_bp)
    app.register_blueprint(agent_bp)
    app.register_blueprint(lead_bp)
    app.register_blueprint(admin_bp)

    from portal.ops.views import bp as ops_bp

    app.register_blueprint(ops_bp)

    from portal import cli, templating

    templating.install(app)
    cli.init_app(app)
    return app
