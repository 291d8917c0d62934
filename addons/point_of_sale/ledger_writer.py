"""One writer per config: a config's chain of tickets is written by one instance only. By default
this one; a config served by an autonomous till (pos_autonomous) names that till here, and this
instance then refuses to open a session, sell or close on it (`refuse_if_served_elsewhere`): its
tickets would be numbers the till also gives, and one of the two chains would be a conflict for
ever. Moving a config (to a till, a replacement till, or back here) is explicit and journaled
(`set_config_writer`, event `config_writer_moved`), with the number of the last ticket this
instance holds for it: the new writer goes on after it.

The rows live in `point_of_sale_config_writer`, which is not synchronised: a till's own database
never says its config is served elsewhere.
"""
from sqlalchemy import bindparam, delete, insert, select, update

from core.models import utc_now

from .journal import record_event
from .ledger_seal import HEAD, ledger_head, take_numbers
from .models import ConfigWriter, PosConfig

WRITER = ConfigWriter.__table__


def config_writer(connection, config_id):
    """The words naming who writes the config's tickets when it is not this instance (say
    "autonomous till 'Counter 2' (till 3)"), else None."""
    return connection.scalar(select(WRITER.c.writer).where(WRITER.c.config_id == config_id))


def config_writer_key(connection, config_id):
    """What the writer's caller keyed it by (a till id, as text), or None."""
    return connection.scalar(select(WRITER.c.writer_key).where(WRITER.c.config_id == config_id))


WRITERS = select(WRITER.c.config_id, WRITER.c.writer)
WRITERS_AMONG = WRITERS.where(WRITER.c.config_id.in_(bindparam("ids", expanding=True)))


def config_writers(connection, config_ids=None):
    """{config id: writer words} of the configs served elsewhere (among `config_ids`)."""
    if config_ids is None:
        return dict(connection.execute(WRITERS).all())
    return dict(connection.execute(WRITERS_AMONG, {"ids": list(config_ids)}).all())


def set_config_writer(connection, config_id, writer, reason, writer_key=None):
    """Make `writer` (words naming it; None: this instance) the one that writes the config's
    tickets, journaled with `reason` and the last ticket number this instance holds; return that
    (number, link): where the new writer's chain goes on. `writer_key` is what the caller keys
    the writer by (a till id) for its own lookups."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("say why the config's writer changes")
    if connection.scalar(select(PosConfig.id).where(PosConfig.id == config_id)) is None:
        raise LookupError(f"no POS config with id {config_id}")
    before = config_writer(connection, config_id)
    connection.execute(delete(WRITER).where(WRITER.c.config_id == config_id))
    if writer is not None:
        connection.execute(insert(WRITER).values(config_id=config_id, writer=writer[:128],
                                                 writer_key=writer_key, since=utc_now(),
                                                 reason=reason.strip()[:256]))
    number, link = ledger_head(connection, config_id)
    record_event(connection, "config_writer_moved", config_id, previous=before or "this server",
                 writer=writer or "this server", reason=reason.strip()[:256],
                 last_ticket=number, last_link=link)
    return number, link


def start_chain_after(connection, config_id, number, link):
    """On a new writer (a till just made): its chain of the config goes on after ticket
    `number` with `link`, sealed by the previous writer; checks start there. Only before it
    sealed anything."""
    head_number, _link = ledger_head(connection, config_id)
    if head_number:
        raise ValueError(f"config {config_id} already has {head_number} tickets here")
    take_numbers(connection, config_id, 0)  # the head row
    connection.execute(update(HEAD).where(HEAD.c.config_id == config_id).values(
        number=number, link=link, origin_number=number, origin_link=link))


def served_elsewhere_message(config_name, writer, what):
    return (f"{config_name} is served by {writer}: {what} there, not on this server (moving a "
            "config is an explicit operation: core autonomous move)")


def refuse_if_served_elsewhere(connection, config, what, error):
    """Raise `error(message)` when `config` (a row with id and name) is served elsewhere."""
    writer = config_writer(connection, config.id)
    if writer is not None:
        raise error(served_elsewhere_message(config.name, writer, what))
