"""Hooks point_of_sale offers to the addons that extend it (with `from core import hookimpl`)."""
from core import hookspec


@hookspec(firstresult=True)
def check_pos_order(connection, order, session):
    """Refuse one pushed order before it is stored: return `(code, message)` to reject it (the
    other orders of the push are unaffected), or None to let it through. `order` is the parsed
    order (`point_of_sale.orders.ParsedOrder`), `session` the row of its session. The first
    refusal wins: the addons registered after it are not asked about that order."""


@hookspec
def extend_pos_data(connection, config_id, data):
    """Add keys to the data the POS page loads (`GET /pos/config/<id>/data`) by changing the
    dict `data` in place. Return nothing."""


@hookspec
def pos_session_closed(connection, session_id, config_id):
    """Session `session_id` of config `config_id` was just closed, by `core pos close` or the
    admin's *Close* (`point_of_sale.close_session` with the plugin manager). The hook runs in
    `connection`'s transaction, which it may use to write its own rows; raising an error rolls
    the closing back. Return nothing. (pos_multi_session ends the shared run here when the last
    session of a multi-session closes.)"""


@hookspec
def pos_session_closed_committed(engine, manager, session_id, config_id):
    """A POS session's closing has committed (`pos_session_closed` ran in that transaction):
    tell whoever must know at once, e.g. its tills through the bus. `manager` is the plugin
    manager (which addons are installed). Return nothing; an exception here is logged and does
    not undo the closing."""


@hookspec
def extend_pos_token(connection, config_id, claims):
    """Add signed claims to the POS tokens this instance issues for `config_id`, by changing
    the dict `claims` in place (today: `claims["multi_sessions"]`, {multi-session id: run id},
    which a sync server checks). Return nothing."""


@hookspec
def pos_config_form_links(connection, config_id):
    """Read-only lines about records of the addon that refer to POS config `config_id`, shown on
    its admin form: a list of `(label, text, url)`, e.g. pos_multi_session's
    `("Multi-session", "Restaurant", "/web/pos/multi-sessions/1")`; [] when there are none."""


@hookspec(firstresult=True)
def pos_create_customer(connection, config_id, values):
    """A till of config `config_id` creates a customer (`POST /pos/customers`); `values` are
    the checked fields it sent (`name`, and any of `email`, `phone`, `street`, `zip`, `city`,
    `country_code`). Return the created partner as a dict (`customers.partner_json`'s keys) to
    take the creation over, or None to let point_of_sale create it locally from the template
    customer (`create_customer`). Raise `Rejection(code, message)` to refuse: pos_autonomous on
    a till creates on the central server and raises `Rejection("needs_server", ...)` offline."""


@hookspec(firstresult=True)
def pos_update_customer(connection, config_id, partner_id, values):
    """A till of config `config_id` changes customer `partner_id`'s `phone` and/or `email`
    (`values`, checked). Return the partner's dict to take the change over (the addon then
    writes it locally itself, e.g. with `update_customer`, and queues it for a central
    server), or None to let point_of_sale update it locally. Raise `Rejection` to refuse."""


@hookspec(firstresult=True)
def pos_abandon_customer(connection, config_id, partner_id):
    """The cashier of a till of config `config_id` cancelled customer `partner_id` just after
    creating it. Return a word for what was done to take it over (pos_autonomous on a till
    removes it there and queues its deletion for the central instance: "queued"), or None to let
    point_of_sale remove it here (`retire_customer`: "deleted", or "retired" when an order
    already refers to it). Raise `Rejection` to refuse."""


@hookspec
def pos_session_open_tills(connection, session_id, config_id):
    """Before session `session_id` of config `config_id` is closed from a till or the admin:
    what else is still selling that closing it would affect, as a list of sentences for the
    manager (e.g. pos_multi_session's "Bar/00004 (Bar) is still open in multi-session
    Restaurant: its tills share orders with this one."); [] when nothing is."""
