"""HTTP of the up direction, on pos_autonomous's blueprint.

Central instance, for tills (`Authorization: Bearer <till token>`, as the pull):
* `POST /pos_autonomous/push`: one batch of sealed entries, sessions and events (receive.py);
* `POST /pos_autonomous/customers`: create a customer from the template partner;
* `POST /pos_autonomous/customers/<id>`: apply an edit made on a till;
* `POST /pos_autonomous/customers/<id>/delete`: an abandoned creation (deleted, or marked
  retired when an order refers to it).

A till, for its POS page (POS token or signed-in user):
* `POST /pos_autonomous/customers/<id>/abandon`: the cashier cancelled a customer the central
  instance had just created: removed here, its deletion request queued (outbox.py).
"""
import re
from datetime import datetime

from flask import jsonify

import addons.point_of_sale as point_of_sale
from core.web import current_instance
from core.web.errors import ApiError, json_object

from . import outbox, tills
from .declarations import SWITCHED_OFF, up_active
from .receive import receive_push
from .routes import MAX_ID, _till_from_request, blueprint

MAX_ENTRIES = 1000
MAX_SESSIONS = 200
MAX_EVENTS = 1000
LINK = re.compile(r"[0-9a-f]{64}")
UUID = re.compile(r"[A-Za-z0-9_-]{1,64}")
ENTRY_KINDS = ("order", "closing")
SESSION_STATES = (point_of_sale.OPENING_CONTROL, point_of_sale.OPENED,
                  point_of_sale.CLOSING_CONTROL, point_of_sale.CLOSED)


def _bad(field, expected):
    raise ApiError(400, "invalid_push", f"{field} must be {expected}")


def _number(value, field, allow_none=False, minimum=0):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_ID:
        _bad(field, f"a whole number from {minimum} to {MAX_ID}"
             + (" or null" if allow_none else ""))
    return value


def _text(value, field, pattern=None, limit=None, allow_none=False):
    if value is None and allow_none:
        return None
    if not isinstance(value, str) or (limit is not None and len(value) > limit) or (
            pattern is not None and not pattern.fullmatch(value)):
        _bad(field, "a string" + (f" of at most {limit} characters" if limit else "")
             + (f" matching {pattern.pattern}" if pattern is not None else ""))
    return value


def _moment(value, field, allow_none=False):
    if value is None and allow_none:
        return None
    text = _text(value, field, limit=40)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        _bad(field, "an ISO 8601 date and time such as 2026-11-26T10:15:00+00:00")
    if moment.tzinfo is None:
        _bad(field, "a date and time with its UTC offset")
    return moment.isoformat()


def _list(value, field, limit):
    if not isinstance(value, list) or len(value) > limit:
        _bad(field, f"a list of at most {limit} items")
    return value


def _object(value, field):
    if not isinstance(value, dict):
        _bad(field, "an object")
    return value


def parse_push(body, till):
    """The batch, every field checked (a 400 naming the field otherwise)."""
    if _number(body.get("till"), "till", minimum=1) != till.id:
        raise ApiError(403, "wrong_till", f"this batch names till {body.get('till')} but the "
                                          f"token is till {till.id}'s")
    head = _object(body.get("head"), "head")
    batch = {
        "serial": _number(body.get("serial"), "serial", minimum=1),
        "first": _number(body.get("first"), "first", allow_none=True, minimum=1),
        "last": _number(body.get("last"), "last", allow_none=True, minimum=1),
        "head": {"number": _number(head.get("number"), "head.number"),
                 "link": _text(head.get("link"), "head.link", LINK)},
        "entries": [], "sessions": [], "events": [], "chain": None,
    }
    for index, raw in enumerate(_list(body.get("entries", []), "entries", MAX_ENTRIES)):
        where = f"entries[{index}]"
        entry = _object(raw, where)
        if entry.get("kind") not in ENTRY_KINDS:
            _bad(f"{where}.kind", f"one of {', '.join(ENTRY_KINDS)}")
        batch["entries"].append({
            "number": _number(entry.get("number"), f"{where}.number", minimum=1),
            "kind": entry["kind"], "uuid": _text(entry.get("uuid"), f"{where}.uuid", UUID),
            "previous_link": _text(entry.get("previous_link"), f"{where}.previous_link", LINK),
            "link": _text(entry.get("link"), f"{where}.link", LINK),
            # null: the record is gone from the till's database (deleted): refused, alarmed
            "record": None if entry.get("record") is None
            else _object(entry.get("record"), f"{where}.record")})
    numbers = [entry["number"] for entry in batch["entries"]]
    if numbers and numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        _bad("entries", "in chain order, numbers following each other")
    if (batch["first"], batch["last"]) != ((numbers[0], numbers[-1]) if numbers else (None, None)):
        _bad("first and last", "the numbers of the first and last entries (null without entries)")
    if numbers and numbers[-1] > batch["head"]["number"]:
        _bad("head.number", "at least the last entry's number")
    for index, raw in enumerate(_list(body.get("sessions", []), "sessions", MAX_SESSIONS)):
        where = f"sessions[{index}]"
        session = _object(raw, where)
        if session.get("state") not in SESSION_STATES:
            _bad(f"{where}.state", f"one of {', '.join(SESSION_STATES)}")
        batch["sessions"].append({
            "id": _number(session.get("id"), f"{where}.id", minimum=1),
            "name": _text(session.get("name"), f"{where}.name", limit=64),
            "state": session["state"],
            "opened_at": _moment(session.get("opened_at"), f"{where}.opened_at", True),
            "closed_at": _moment(session.get("closed_at"), f"{where}.closed_at", True)})
    for index, raw in enumerate(_list(body.get("events", []), "events", MAX_EVENTS)):
        where = f"events[{index}]"
        event = _object(raw, where)
        batch["events"].append({
            "id": _number(event.get("id"), f"{where}.id", minimum=1),
            "at": _moment(event.get("at"), f"{where}.at"),
            "kind": _text(event.get("kind"), f"{where}.kind", limit=32),
            "message": _text(event.get("message"), f"{where}.message", limit=2000)})
    chain = body.get("chain")
    if chain is not None:
        chain = _object(chain, "chain")
        if not isinstance(chain.get("ok"), bool):
            _bad("chain.ok", "true or false")
        batch["chain"] = {
            "ok": chain["ok"], "checked": _number(chain.get("checked"), "chain.checked"),
            "first_broken": _number(chain.get("first_broken"), "chain.first_broken", True),
            "reason": _text(chain.get("reason", ""), "chain.reason", limit=500)}
    return batch


@blueprint.post("/push")
def push():
    """One batch of the calling till's sealed entries (README: the push protocol)."""
    body = json_object()
    with current_instance().engine.begin() as connection:
        till = _till_from_request(connection)
        batch = parse_push(body, till)
        answer = receive_push(connection, till, batch)
        tills.note_contact(connection, till)
    return jsonify(answer)


# -- customers: the central side ----------------------------------------------------------------

def _customer_values(body):
    values = body.get("values")
    if not isinstance(values, dict) or len(values) > 20:
        raise ApiError(400, "invalid_customer", "values must be an object of at most 20 fields "
                                                "(name, email, phone...)")
    return values


def _from_till(change):
    """A till's customer change, through point_of_sale's rules and refusals: the caller is a
    till, the partner table's till → server row is switched on, then `change(connection)`."""
    def checked(connection):
        _till_from_request(connection)
        _require_up(connection, outbox.PARTNERS)
        return change(connection)
    return point_of_sale.run_customer_change(checked)


def _require_up(connection, table_name):
    """409 while the table's till → server row is switched off: the till keeps what it sent
    queued (outbox.py) and sends it once the row is switched on again."""
    if not up_active(connection, table_name):
        raise ApiError(409, SWITCHED_OFF,
                       f"the central server does not take {table_name} from tills now (switched "
                       "off in Autonomous tills ▸ Tables to synchronise, till → server); the till "
                       "keeps its changes and sends them once it is switched on again")


@blueprint.post("/customers")
def create_customer():
    """Create a customer for a till from the template partner; answer it."""
    values = _customer_values(json_object())
    return jsonify(customer=_from_till(
        lambda connection: point_of_sale.create_customer(connection, values)))


@blueprint.post("/customers/<int:partner_id>")
def update_customer(partner_id):
    values = _customer_values(json_object())
    return jsonify(customer=_from_till(
        lambda connection: point_of_sale.update_customer(connection, partner_id, values)))


@blueprint.post("/customers/<int:partner_id>/delete")
def delete_customer(partner_id):
    """An abandoned creation: deleted, or marked retired when an order refers to it."""
    outcome = _from_till(lambda connection: point_of_sale.retire_customer(connection, partner_id))
    return jsonify(partner_id=partner_id, outcome=outcome)


# -- customers: the till's side -----------------------------------------------------------------

@blueprint.post("/customers/<int:partner_id>/abandon")
def abandon_customer(partner_id):
    """The cashier cancelled a customer just created: gone here, deleted on the central
    instance by the next pass."""
    point_of_sale.caller_config_scope()
    with current_instance().engine.begin() as connection:
        outbox.abandon_creation(connection, partner_id)
    return jsonify(partner_id=partner_id, queued="delete")
