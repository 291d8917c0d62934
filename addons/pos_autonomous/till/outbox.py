"""Customers on an autonomous till (the original's rule: through the template customer).

* Creating one needs the central instance: point_of_sale's `pos_create_customer` hook asks it
  (`POST /pos_autonomous/customers`), which creates it from the template partner and answers
  it; the till stores that answer under the central id. Unreachable: refused with the
  `needs_server` Rejection (the POS page says it).
* An edit (`pos_update_customer`) is applied here at once and queued in the outbox; the next
  synchroniser pass sends it.
* A creation the cashier abandons (`POST /pos_autonomous/customers/<id>/abandon`) is removed
  here and its deletion request queued; the central instance deletes the customer, or marks it
  retired when an order refers to it.

The outbox is read and emptied by the synchroniser (`send_outbox`), in id order; one refused
message does not hold the others back (it stays, with its error, for the status to show).
While the central instance has point_of_sale.partner's till → server row switched off (409
`table_switched_off`), the whole outbox is held: nothing is dropped, one message is tried per
pass (no hot loop), the till's status says what is held and why, and the queue goes, in order,
at the first pass after the row is switched on again.
"""
import json

from sqlalchemy import func, select

import addons.point_of_sale as point_of_sale
from core import hookimpl

from .. import role
from ..declarations import SWITCHED_OFF
from ..wire import CUSTOMERS
from .client import CentralClient, SyncError
from .models import Link, OutboxMessage

UPDATE, DELETE = "update", "delete"
CUSTOMER_TIMEOUT_SECONDS = 10.0  # the cashier waits for this one
NEEDS_SERVER = ("Creating a customer needs the connection to the central server; try again "
                "when it is back.")
CREATION_SWITCHED_OFF = ("The central server does not take customers from the tills now (switched "
                         "off in its Tables to synchronise); ask the manager to switch it on.")


def partner_wire(partner):
    """A partner (row, mapping or dict) as a JSON-ready dict."""
    values = dict(partner._mapping) if hasattr(partner, "_mapping") else dict(partner)
    return {key: value for key, value in values.items()
            if isinstance(value, (str, int, float, bool)) or value is None}


def _client(link, timeout=CUSTOMER_TIMEOUT_SECONDS):
    return CentralClient(link.server_url, f"{link.till_id}.{link.secret}", timeout)


def _store_locally(connection, customer):
    """Upsert the central instance's answer into this till's partners (same id)."""
    table = point_of_sale.Partner.__table__
    values = {key: value for key, value in customer.items() if key in table.c}
    done = connection.execute(table.update().where(table.c.id == values["id"]).values(**values))
    if not done.rowcount:
        connection.execute(table.insert().values(**values))


@hookimpl
def pos_create_customer(connection, config_id, values):
    """On a till: create on the central instance, keep its answer. Elsewhere: not ours."""
    link = role.link(connection)
    if link is None:
        return None
    client = _client(link)
    try:
        answer = client.post(CUSTOMERS, {"values": values})
    except SyncError as exc:
        status = getattr(exc, "status", None)
        if exc.code == SWITCHED_OFF:
            raise point_of_sale.Rejection(SWITCHED_OFF, CREATION_SWITCHED_OFF) from None
        if status is not None and 400 <= status < 500 and status not in (401, 404):
            raise point_of_sale.Rejection(getattr(exc, "code", "") or "invalid_customer",
                                          getattr(exc, "detail", "") or str(exc)) from None
        raise point_of_sale.Rejection("needs_server", NEEDS_SERVER) from None
    finally:
        client.close()
    customer = answer["customer"]
    _store_locally(connection, customer)
    return customer


@hookimpl
def pos_update_customer(connection, config_id, partner_id, values):
    """On a till: apply here, queue for the central instance."""
    if not role.is_till(connection):
        return None
    partner = point_of_sale.update_customer(connection, partner_id, values)
    queue(connection, UPDATE, partner_id, values)
    return partner_wire(partner)


def queue(connection, kind, partner_id, payload=None):
    connection.execute(OutboxMessage.__table__.insert().values(
        kind=kind, partner_id=partner_id, payload=json.dumps(payload or {}), attempts=0,
        last_error=""))


@hookimpl
def pos_abandon_customer(connection, config_id, partner_id):
    """On a till, the POS page's "Cancel creation": removed here, deletion queued; on the
    central instance (no link), point_of_sale removes it itself."""
    if not role.is_till(connection):
        return None
    abandon_creation(connection, partner_id)
    return "queued"


def abandon_creation(connection, partner_id):
    """The cashier cancelled: remove the customer here (retired if an order already refers to
    it) and queue its deletion request, dropping its queued edits."""
    if not role.is_till(connection):
        from core.web.errors import ApiError
        raise ApiError(409, "not_a_till", "only an autonomous till abandons a creation; on the "
                                          "central instance, delete the customer in its admin")
    point_of_sale.retire_customer(connection, partner_id)
    table = OutboxMessage.__table__
    connection.execute(table.delete().where(table.c.partner_id == partner_id,
                                            table.c.kind == UPDATE))
    queue(connection, DELETE, partner_id)


def waiting(connection):
    """{"customers": messages waiting, "customer_errors": [words of the refused ones],
    "customers_held": why the central instance holds them back, or None}."""
    count = connection.scalar(select(func.count()).select_from(OutboxMessage))
    errors = [f"customer {row.partner_id} ({row.kind}): {row.last_error}" for row in
              connection.execute(select(OutboxMessage).where(OutboxMessage.last_error != "")
                                 .order_by(OutboxMessage.id).limit(5))]
    link = role.link(connection)
    held = (link.up_held or None) if link is not None and count else None
    return {"customers": count, "customer_errors": errors, "customers_held": held}


def _note_held(engine, words):
    with engine.begin() as connection:
        connection.execute(Link.__table__.update().where(Link.up_held != words)
                           .values(up_held=words))


def send_outbox(engine, client, say=lambda message: None):
    """Send every waiting message (synchroniser); return how many went. A network failure
    stops and raises SyncError (the rest waits for the next pass); a refusal is kept on the
    message and the others go on; the table switched off on the central instance holds them all
    (status: `customers_held`) until a pass after it is switched on again."""
    sent = 0
    with engine.connect() as connection:
        messages = connection.execute(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    for message in messages:
        path = (f"{CUSTOMERS}/{message.partner_id}" if message.kind == UPDATE
                else f"{CUSTOMERS}/{message.partner_id}/delete")
        body = {"values": json.loads(message.payload)} if message.kind == UPDATE else {}
        table = OutboxMessage.__table__
        try:
            client.post(path, body)
        except SyncError as exc:
            status = getattr(exc, "status", None)
            if status is None or status >= 500 or status == 401:
                raise
            if exc.code == SWITCHED_OFF:  # held, not refused: kept in order, tried next pass
                _note_held(engine, f"{len(messages) - sent} customer change(s) held: "
                                   f"{exc.detail}")
                say(f"customer changes held: {exc.detail}")
                return sent
            with engine.begin() as connection:
                connection.execute(table.update().where(table.c.id == message.id).values(
                    attempts=table.c.attempts + 1, last_error=str(exc)[:500]))
            say(f"customer {message.partner_id} ({message.kind}) refused: {exc}")
            continue
        with engine.begin() as connection:
            connection.execute(table.delete().where(table.c.id == message.id))
        sent += 1
    if messages:
        _note_held(engine, "")  # went through: nothing held any more
    return sent
