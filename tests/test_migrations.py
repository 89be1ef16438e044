from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db as _db


def test_models_and_migrations_agree(db):
    """The test schema was built by `flask db upgrade`; autogenerate must find nothing to add."""
    with _db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, _db.metadata)

    assert differences == []


def test_every_model_table_exists_after_upgrade(db):
    from sqlalchemy import inspect

    existing = set(inspect(_db.engine).get_table_names())

    assert set(_db.metadata.tables) <= existing
    assert "alembic_version" in existing
