"""The one place that says which machine this database is: an autonomous till holds its link
to the central instance (one row, written by `autonomous init` from its package); a database
without it is the central instance. Everything that behaves differently on the two machines
asks here."""
from sqlalchemy import select

from .till.models import Link

CENTRAL, TILL = "central", "till"


def link(connection):
    """The till's link row (server address, credentials, synchroniser state), or None on the
    central instance."""
    return connection.execute(select(Link)).first()


def role(connection):
    return CENTRAL if link(connection) is None else TILL


def is_till(connection):
    return link(connection) is not None
