"""Customers at the till: search, creation from the template customer, phone and e-mail edits,
and retirement.

A customer created at a till gets from the template partner (`is_customer_template`, the
Divalto "template customer") every field the till does not send: the till sends a name and
perhaps a phone or an e-mail; the template gives the rest (address, country). Without a template
nothing is created: an administrator marks one partner as the template first.

Addons may take creation and edits over (`pos_create_customer`, `pos_update_customer` in
hookspecs.py): pos_autonomous creates on the central server from a till with its own database.
A customer that orders reference is never deleted, only retired (`active` false): the orders
and their tickets stay exactly as they were.

Changes from tills stay within their scope (#22 item 3): every creation and edit a till makes is
recorded with the till (`point_of_sale_customer_change`: the source, the time, the fields an
edit changed), and a creation may be abandoned only by the till that created it, within
`point_of_sale.customer_abandon_seconds` of creating it (`check_abandon`); other customers are
retired or deleted in the admin. A till edits only `EDITABLE_FIELDS`.
"""
import json
import re
from datetime import timedelta, timezone

from sqlalchemy import delete, exists, func, or_, select, update

from core.i18n import _
from core.models import utc_now

from .fields import Rejection
from .models import CustomerChange, Order, Partner

CREATED, EDITED, ABANDONED = "created", "edited", "abandoned"

# Field -> longest value, for what a till may send (`name` is required when creating).
CUSTOMER_FIELDS = {"name": 128, "email": 128, "phone": 32, "street": 128, "zip": 16,
                   "city": 64, "country_code": 2}
EDITABLE_FIELDS = ("phone", "email")  # what a till may change on an existing customer
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE_PATTERN = re.compile(r"\+?[0-9 ().\-/]{3,31}")
COUNTRY_PATTERN = re.compile(r"[A-Z]{2}")
MAX_SEARCH_LENGTH = 100
MAX_RESULTS = 50


def partner_json(row):
    return {"id": row.id, "name": row.name, "email": row.email, "phone": row.phone,
            "street": row.street, "zip": row.zip, "city": row.city,
            "country_code": row.country_code, "is_customer_template": row.is_customer_template}


def clean_values(values, allowed):
    """Check the fields a till sent (a dict of strings, only `allowed` names); return them
    trimmed, or raise a Rejection naming the first field at fault."""
    if not isinstance(values, dict):
        raise Rejection("invalid_customer", _("send the customer as a JSON object of fields"))
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise Rejection("invalid_customer", _("unknown field(s) %(unknown)s; a till may send "
                                              "%(allowed)s", unknown=", ".join(map(repr, unknown)),
                                              allowed=", ".join(allowed)))
    return {name: _clean_field(name, value) for name, value in values.items()}


def _clean_field(name, value):
    """One field: a string on one line with single spaces, not too long, then its own rule."""
    if not isinstance(value, str):
        raise Rejection("invalid_customer", _("'%(name)s' must be a string", name=name))
    value = " ".join(value.split())
    if len(value) > CUSTOMER_FIELDS[name]:
        raise Rejection("invalid_customer",
                        _("'%(name)s' must be at most %(count)s characters", name=name,
                          count=CUSTOMER_FIELDS[name]))
    rule = FIELD_RULES.get(name)
    return rule(value) if rule and value else value


def _check_email(value):
    if not EMAIL_PATTERN.fullmatch(value):
        raise Rejection("invalid_customer", _("%(value)s is not an e-mail address "
                                              "(name@example.com)", value=repr(value)))
    return value


def _check_phone(value):
    """Digits, spaces and + ( ) . - /, with at least three digits."""
    if not (PHONE_PATTERN.fullmatch(value) and sum(c.isdigit() for c in value) >= 3):
        raise Rejection("invalid_customer", _("%(value)s is not a phone number (digits, "
                                              "spaces, + ( ) . - /)", value=repr(value)))
    return value


def _clean_country(value):
    """Two letters of ISO 3166, in capitals."""
    value = value.upper()
    if not COUNTRY_PATTERN.fullmatch(value):
        raise Rejection("invalid_customer", _("'country_code' must be two letters "
                                              "(ISO 3166), such as FR"))
    return value


FIELD_RULES = {"email": _check_email, "phone": _check_phone, "country_code": _clean_country}


def search_customers(connection, text, limit=20):
    """Active customers (not the template) whose name, e-mail or phone contains `text`, case
    and accents as stored; a phone also matches without its spaces, dots and dashes. An empty
    text lists the first ones by name."""
    text = " ".join((text or "").split())[:MAX_SEARCH_LENGTH]
    limit = max(1, min(int(limit), MAX_RESULTS))
    query = select(Partner).where(Partner.active, Partner.is_customer_template.is_(False))
    if text:
        conditions = [Partner.name.icontains(text, autoescape=True),
                      Partner.email.icontains(text, autoescape=True),
                      Partner.phone.icontains(text, autoescape=True)]
        digits = re.sub(r"[\s.\-/()]", "", text)
        if len(digits) >= 3 and re.fullmatch(r"\+?[0-9]+", digits):
            bare_phone = Partner.phone
            for separator in (" ", ".", "-", "/", "(", ")"):
                bare_phone = func.replace(bare_phone, separator, "")
            conditions.append(bare_phone.contains(digits, autoescape=True))
        query = query.where(or_(*conditions))
    rows = connection.execute(query.order_by(Partner.name, Partner.id).limit(limit))
    return [partner_json(row) for row in rows]


def template_customer(connection):
    return connection.execute(select(Partner).where(Partner.is_customer_template)).first()


def create_customer(connection, values):
    """Create a customer from what a till sent, the template filling the rest; returns its
    dict. Rejection `invalid_customer` for a bad value, `no_template` without a template."""
    cleaned = clean_values(values, tuple(CUSTOMER_FIELDS))
    if not cleaned.get("name"):
        raise Rejection("invalid_customer", _("a customer needs a 'name'"))
    template = template_customer(connection)
    if template is None:
        raise Rejection("no_template", _("no partner is marked as the template customer: an "
                                         "administrator marks one in the admin's Partners "
                                         "(\"Template for customers created at a till\")"))
    row = {name: cleaned[name] if cleaned.get(name) else getattr(template, name)
           for name in CUSTOMER_FIELDS}
    row.update(name=cleaned["name"], is_customer_template=False, active=True)
    partner_id = connection.execute(
        Partner.__table__.insert().values(**row)).inserted_primary_key[0]
    return partner_json(connection.execute(select(Partner).where(Partner.id == partner_id)).one())


def _customer(connection, partner_id):
    row = connection.execute(select(Partner).where(Partner.id == partner_id)).first()
    if row is None or not row.active:
        raise Rejection("unknown_customer", _("there is no customer %(id)s", id=partner_id))
    if row.is_customer_template:
        raise Rejection("template_customer", _("the template customer is edited in the admin, "
                                               "not at a till"))
    return row


def update_customer(connection, partner_id, values):
    """Change a customer's phone and/or e-mail; returns its dict."""
    cleaned = clean_values(values, EDITABLE_FIELDS)
    if not cleaned:
        raise Rejection("invalid_customer", _("send 'phone' and/or 'email' to change"))
    _customer(connection, partner_id)
    connection.execute(update(Partner).where(Partner.id == partner_id).values(**cleaned))
    return partner_json(connection.execute(select(Partner).where(Partner.id == partner_id)).one())


def retire_customer(connection, partner_id):
    """"deleted" for a customer no order references; otherwise "retired": kept (the orders and
    their tickets stay intact) but no longer offered at the tills."""
    row = connection.execute(select(Partner).where(Partner.id == partner_id)).first()
    if row is not None and row.is_customer_template:
        raise Rejection("template_customer", _("the template customer cannot be deleted: mark "
                                               "another partner as the template first"))
    _customer(connection, partner_id)
    if connection.scalar(select(exists().where(Order.partner_id == partner_id))):
        connection.execute(update(Partner).where(Partner.id == partner_id).values(active=False))
        return "retired"
    connection.execute(delete(Partner).where(Partner.id == partner_id))
    return "deleted"


def till_source(config_id):
    """The `source` of a change made by the page or token of POS config `config_id`."""
    return f"config:{config_id}"


def record_customer_change(connection, partner_id, kind, source, fields=None):
    """Record that `source` (a till) created, edited or abandoned customer `partner_id`."""
    connection.execute(CustomerChange.__table__.insert().values(
        partner_id=partner_id, kind=kind, source=source[:64],
        fields=json.dumps(fields, sort_keys=True) if fields else "", at=utc_now()))


def check_abandon(connection, partner_id, source, window_seconds):
    """Rejection unless `source` created customer `partner_id` less than `window_seconds` ago:
    only the till that created a customer may abandon its creation, and only soon after."""
    created = connection.execute(
        select(CustomerChange.source, CustomerChange.at)
        .where(CustomerChange.partner_id == partner_id, CustomerChange.kind == CREATED)
        .order_by(CustomerChange.id.desc()).limit(1)).first()
    if created is None or created.source != source:
        raise Rejection("not_your_creation",
                        _("customer %(id)s was not created by this till: only the till "
                          "that created a customer may cancel its creation (an administrator "
                          "retires customers in the admin)", id=partner_id))
    at = created.at if created.at.tzinfo else created.at.replace(tzinfo=timezone.utc)
    if utc_now() - at > timedelta(seconds=window_seconds):
        raise Rejection("abandon_too_late",
                        _("customer %(id)s was created more than %(seconds)s s ago "
                          "(point_of_sale.customer_abandon_seconds): its creation can no longer "
                          "be cancelled from the till; an administrator retires it in the admin",
                          id=partner_id, seconds=window_seconds))


def abandon_window(connection):
    """point_of_sale.customer_abandon_seconds, as it stands."""
    from core.web import current_instance, current_plugins
    return current_instance().parameters(connection, current_plugins()).get(
        "point_of_sale.customer_abandon_seconds")
