"""Statements run on the driver's own connection (psycopg or sqlite3), inside the transaction
SQLAlchemy opened: for the few statements every update runs, SQLAlchemy's execution layer (its
compiled cache, parameter and result processing) cost some 120 µs of CPU per statement against
the driver's 25 µs on PostgreSQL, more than the merge itself.

Written once with `:name` parameters (sqlite3's style; psycopg gets `%(name)s`). Errors come
out as SQLAlchemy's (`DBAPIError` and its subclasses, a lost connection invalidated), as if
SQLAlchemy had run the statement: the app's 503 for a busy or unreachable database holds.
Rows are the driver's tuples, columns in the order the statement names them."""
import functools
import re

from sqlalchemy.exc import DBAPIError

_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


class Sql:
    """One statement, `postgresql` its text on PostgreSQL when it differs."""

    def __init__(self, text, postgresql=None):
        self.text = {"sqlite": " ".join(text.split()),
                     "postgresql": _PARAMETER.sub(r"%(\1)s", " ".join((postgresql or text).split()))}

    def run(self, connection, values):
        """Execute with `values` (a dict); the driver's cursor, to fetch from."""
        statement = self.text[connection.dialect.name]
        driver = connection.connection.driver_connection
        try:
            return driver.execute(statement, values)
        except connection.dialect.loaded_dbapi.Error as error:
            raise _translated(connection, driver, statement, values, error) from None


def _translated(connection, driver, statement, values, error):
    """The error SQLAlchemy would have raised; a lost connection is invalidated, so that the
    pool does not hand it out again."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, driver, None)
    translated = DBAPIError.instance(statement, values, error, dialect.loaded_dbapi.Error,
                                     connection_invalidated=lost, dialect=dialect)
    if lost:
        connection.invalidate(translated)
    return translated


@functools.cache
def bind_processor(column_type, dialect):
    """What SQLAlchemy does to a `column_type` value before the driver gets it (SQLite stores
    a DateTime as text of its own format); None: nothing."""
    return column_type.dialect_impl(dialect).bind_processor(dialect)
