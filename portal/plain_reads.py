"""Reads for the busiest pages: a Core statement compiled once, run on the driver's own cursor.

SQLAlchemy's Connection and Result cost about as much per statement as the database spends running a
primary-key lookup (on PostgreSQL about 80 µs of the client's CPU for each of a page's two reads). A page
that only shows rows needs none of that: the statement is still written with Core, compiled once per
database, and each column keeps its type's own conversion (SQLite's text dates, UTC zones, booleans).
"""

from contextlib import contextmanager

from portal.extensions import db


class PlainQuery:
    """A SELECT whose rows come back as tuples, already converted by the columns' types."""

    def __init__(self, statement):
        self.statement = statement
        self._prepared = {}

    def _prepare(self, dialect):
        compiled = self.statement.compile(dialect=dialect)
        # Positional drivers (SQLite) take the values in the order the SQL names them.
        names = compiled.positiontup
        converters = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                      for column in self.statement.selected_columns]
        converting = [(index, convert) for index, convert in enumerate(converters) if convert is not None]
        prepared = self._prepared[dialect.name] = (compiled.string, names, converting)
        return prepared

    def rows(self, cursor, parameters):
        """All rows for `parameters` (a dict by bind name), on a cursor from plain_cursor()."""
        dialect = db.engine.dialect
        sql, names, converting = self._prepared.get(dialect.name) or self._prepare(dialect)
        cursor.execute(sql, tuple(parameters[name] for name in names) if names is not None else parameters)
        rows = cursor.fetchall()
        if not converting:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for index, convert in converting:
                row[index] = convert(row[index])
            converted.append(row)
        return converted


@contextmanager
def plain_cursor():
    """A driver cursor on a pooled connection; on PostgreSQL its reads run outside any transaction.

    Without a transaction there is no BEGIN and no ROLLBACK round trip, and psycopg keeps the statements it
    prepares (a ROLLBACK discards them). Reads a moment apart may then see different commits, which pages that
    show one order do not mind.
    """
    engine = db.engine
    connection = engine.raw_connection()
    driver = connection.driver_connection
    autocommit = engine.dialect.name == "postgresql"
    try:
        if autocommit:
            driver.autocommit = True
        cursor = connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
    finally:
        if autocommit:
            driver.autocommit = False  # the pool hands it next to code that expects transactions
        # Back to the pool, whose reset on return finds a connection that broke meanwhile and drops it.
        connection.close()
