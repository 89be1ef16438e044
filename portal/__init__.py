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

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)
    web.init_app(app)

    from portal.home import bp as home_bp

    app.register_blueprint(home_bp)

    from portal import cli

    cli.init_app(app)
    return app
