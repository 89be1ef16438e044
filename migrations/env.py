"""Alembic environment for the portal: the app's engine and models, on SQLite and PostgreSQL."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
target_metadata = db.metadata


def render_item(type_, obj, autogen_context):
    """Write our UTCDateTime as the plain column type it is in the database."""
    from portal.models.types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure_options(connection):
    return {
        "connection": connection,
        "target_metadata": target_metadata,
        "compare_type": True,
        "render_item": render_item,
        # SQLite alters tables by copying them; batch mode writes migrations that do that.
        "render_as_batch": connection.dialect.name == "sqlite",
    }


def run_migrations_offline():
    context.configure(url=db.engine.url, target_metadata=target_metadata, literal_binds=True,
                      render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def skip_empty(context_, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            log.info("no changes in the models")

    with db.engine.connect() as connection:
        options = configure_options(connection)
        options.update(current_app.extensions["migrate"].configure_args)
        options.setdefault("process_revision_directives", skip_empty)
        context.configure(**options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
