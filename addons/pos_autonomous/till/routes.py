"""A till's HTTP, for its POS page (POS token or signed-in user):
* `GET /pos_autonomous/status[?config=ID]`: the synchronisation state, for the page's indicator
  (on the central instance it says `{"role": "central"}`; on a shop, `config` picks whose pushes
  "up" says);
* `POST /pos_autonomous/customers/<id>/abandon`: the cashier cancelled a customer the central
  instance had just created: removed here, its deletion request queued (outbox.py).
"""
from flask import jsonify, request

import addons.point_of_sale as point_of_sale
from core.values import whole_number
from core.web import current_instance

from ..web import blueprint
from . import outbox
from .status import till_status


@blueprint.get("/status")
def status():
    """The till's synchronisation state, for the POS page's indicator (no secret in it):
    signed-in users and POS tokens, as the POS routes."""
    point_of_sale.caller_config_scope()
    asked = request.args.get("config", "")  # a shop's POS page: its own config's pushes
    config_id = whole_number(asked)
    with current_instance().engine.connect() as connection:
        return jsonify(till_status(connection, config_id))


@blueprint.post("/customers/<int:partner_id>/abandon")
def abandon_customer(partner_id):
    """The cashier cancelled a customer just created: gone here, deleted on the central
    instance by the next pass. A POS token only for what its till created, soon after
    (point_of_sale.check_abandon; the central instance checks again)."""
    scope = point_of_sale.caller_config_scope()
    with current_instance().engine.begin() as connection:
        if scope is not point_of_sale.ANY_CONFIG:
            try:
                point_of_sale.check_abandon(connection, partner_id, point_of_sale.till_source(scope),
                                            point_of_sale.abandon_window(connection))
            except point_of_sale.Rejection as rejection:
                raise point_of_sale.customer_refusal(rejection) from None
        outbox.abandon_creation(connection, partner_id)
    return jsonify(partner_id=partner_id, queued="delete")
