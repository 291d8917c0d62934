"""The one place that says which machine this database is: an autonomous till holds its link
to the central instance (one row, written by `autonomous init` from its package); a database
without it is the central instance. Everything that behaves differently on the two machines
asks here.

A shop is a till serving several POS configs: the link names the first, `ShopMember` rows the
others. Code that acts per config loops over `config_ids` (or `pushers`, for the credentials
each config's chain goes up with), never assumes the link's one config."""
from dataclasses import dataclass

from sqlalchemy import select

from .till.models import Link, ShopMember

CENTRAL, TILL = "central", "till"
LINK_STATE = 1  # the push state row of the link's own config


@dataclass(frozen=True)
class Pusher:
    """One config's chain going up: as which till of the central instance (its token), and
    which push state row on this till records what the central acknowledged."""
    config_id: int
    till_id: int
    secret: str
    state_id: int

    @property
    def token(self):
        return f"{self.till_id}.{self.secret}"

    @property
    def first(self):
        """The link's own config: the technical events and the journal go up with it."""
        return self.state_id == LINK_STATE


def link(connection):
    """The till's link row (server address, credentials, synchroniser state), or None on the
    central instance."""
    return connection.execute(select(Link)).first()


def role(connection):
    return CENTRAL if link(connection) is None else TILL


def is_till(connection):
    return link(connection) is not None


def pushers(connection):
    """[Pusher] of every config this till serves, the link's first; [] on the central."""
    row = link(connection)
    if row is None:
        return []
    members = connection.execute(select(ShopMember).order_by(ShopMember.id)).all()
    return [Pusher(row.config_id, row.till_id, row.secret, LINK_STATE)] + [
        Pusher(m.config_id, m.till_id, m.secret, m.id) for m in members]


def config_ids(connection):
    """The POS configs this till serves (one for a till, several for a shop), the link's
    first; [] on the central instance."""
    return [pusher.config_id for pusher in pushers(connection)]
