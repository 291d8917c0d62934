"""The till's customer endpoints (customers.py has the rules): search, create, edit, and
cancel a creation.
Checked with the POS credentials as /pos/orders: a signed-in user, or a config's token."""
from flask import jsonify, request

from core.i18n import _
from core.web import current_instance, current_plugins
from core.web.errors import ApiError, json_object

from .access import ANY_CONFIG, caller_config_scope
from .customer_http import run_customer_change
from .customers import (
    ABANDONED,
    CREATED,
    CUSTOMER_FIELDS,
    EDITABLE_FIELDS,
    EDITED,
    MAX_RESULTS,
    abandon_window,
    check_abandon,
    clean_values,
    create_customer,
    record_customer_change,
    retire_customer,
    search_customers,
    till_source,
    update_customer,
)
from .web import blueprint


def _config_id(scope, body):
    """The till's config: its token's, or `config_id` in the body for a signed-in user."""
    config_id = body.pop("config_id", None)
    if scope is not ANY_CONFIG:
        if config_id is not None and config_id != scope:
            raise ApiError(403, "forbidden", _('your token is for POS config %(scope)s, not '
                                               '%(config_id)s', scope=scope, config_id=config_id))
        return scope
    if isinstance(config_id, bool) or not isinstance(config_id, int) or config_id <= 0:
        raise ApiError(400, "invalid_config_id", _("send 'config_id', the till's POS config id"))
    return config_id


@blueprint.get("/customers")
def customers_search():
    """`?q=` (name, phone or e-mail; empty lists the first ones) and `?limit=` (1 to 50)."""
    caller_config_scope()
    text = request.args.get("q", "")
    try:
        limit = int(request.args.get("limit", "20"))
    except ValueError:
        raise ApiError(400, "invalid_limit", _("'limit' must be a whole number from 1 to %(max_results)s"
                                               , max_results=MAX_RESULTS)) from None
    if not 1 <= limit <= MAX_RESULTS:
        raise ApiError(400, "invalid_limit", _("'limit' must be from 1 to %(max_results)s"
                                               , max_results=MAX_RESULTS))
    if len(text) > 100:
        raise ApiError(400, "invalid_query", _('search with at most 100 characters'))
    with current_instance().engine.connect() as connection:
        return jsonify(customers=search_customers(connection, text, limit))


@blueprint.post("/customers")
def customers_create():
    """`{"config_id", "name", "phone"?, "email"?, ...}` -> 201 `{"customer": {...}}`."""
    scope = caller_config_scope()
    body = json_object()
    config_id = _config_id(scope, body)

    def create(connection):
        values = clean_values(body, tuple(CUSTOMER_FIELDS))
        customer = current_plugins().hook.pos_create_customer(
            connection=connection, config_id=config_id, values=values)
        customer = create_customer(connection, values) if customer is None else customer
        record_customer_change(connection, customer["id"], CREATED, till_source(config_id))
        return customer
    return jsonify(customer=run_customer_change(create)), 201


@blueprint.post("/customers/<int:partner_id>")
def customers_update(partner_id):
    """`{"config_id", "phone"?, "email"?}` -> `{"customer": {...}}`."""
    scope = caller_config_scope()
    body = json_object()
    config_id = _config_id(scope, body)

    def update(connection):
        values = clean_values(body, EDITABLE_FIELDS)
        customer = current_plugins().hook.pos_update_customer(
            connection=connection, config_id=config_id, partner_id=partner_id, values=values)
        customer = (update_customer(connection, partner_id, values) if customer is None
                    else customer)
        record_customer_change(connection, partner_id, EDITED, till_source(config_id), values)
        return customer
    return jsonify(customer=run_customer_change(update))


@blueprint.post("/customers/<int:partner_id>/abandon")
def customers_abandon(partner_id):
    """`{"config_id"}` -> `{"outcome": "deleted" | "retired" | ...}`: the cashier cancelled a
    customer just created (an addon may take it over: pos_abandon_customer). Only the till
    that created it, within point_of_sale.customer_abandon_seconds (customers.check_abandon)."""
    scope = caller_config_scope()
    body = json_object()
    config_id = _config_id(scope, body)
    if body:
        raise ApiError(400, "invalid_body", _("unexpected field(s): %(body)s; send only 'config_id'"
                                              , body=', '.join(sorted(body))))

    def abandon(connection):
        source = till_source(config_id)
        check_abandon(connection, partner_id, source, abandon_window(connection))
        outcome = current_plugins().hook.pos_abandon_customer(
            connection=connection, config_id=config_id, partner_id=partner_id)
        outcome = retire_customer(connection, partner_id) if outcome is None else outcome
        record_customer_change(connection, partner_id, ABANDONED, source)
        return outcome
    return jsonify(outcome=run_customer_change(abandon))
