"""The customer display: its page (`GET /pos/ui/<id>/display`), the cashier's page telling it
what to show (`POST /pos/config/<id>/display`), and what it shows now (`GET`).

What is shown is sent on the bus channel `[db, "pos.customer_display", "<config id>"]` in the
transaction that stores it: `{"seq", "state": "idle" | "open" | "paid", "reference", "lines":
[{"name", "qty", "amount"}], "total", "change", "currency_code", "locale"}`. Amounts are
computed here from the lines the till sent (with tax), as the till computes them; the display
only shows them."""
import re
from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select, update

from addons.point_of_sale import PosConfig, may_use_config, require_config_access
from addons.pos_longpolling import BusTransaction, pos_channel
from core.db import database_name
from core.i18n import use_locale
from core.models import utc_now
from core.web import current_instance
from core.web.errors import ApiError, json_object
from core.web.fields import Fields
from core.web.sessions import signed_in_account

from .models import DisplayState

CHANNEL = "pos.customer_display"
MAX_LINES = 200
NUMBER = re.compile(r"-?[0-9]{1,9}(\.[0-9]{1,3})?")
CENT = Decimal("0.01")
STATE = DisplayState.__table__
FIELDS = Fields("invalid_field")

blueprint = Blueprint("pos_customer_display", __name__, url_prefix="/pos",
                      template_folder="templates")
assets = Blueprint("pos_customer_display_assets", __name__, url_prefix="/pos_customer_display",
                   static_folder="static")


@blueprint.get("/ui/<int:config_id>/display")
def display_page(config_id):
    """The customer's screen: signed in as the till is (a second browser window or screen)."""
    with current_instance().engine.connect() as connection:
        account = signed_in_account(connection)
        if account is None:
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        if not may_use_config(connection, account, config_id):  # a cashier of another till
            return render_template("pos_customer_display/display.html", config=None), 403
        config = connection.execute(select(PosConfig).where(PosConfig.id == config_id)).first()
    if config is None:
        return render_template("pos_customer_display/display.html", config=None), 404
    channel = pos_channel(database_name(current_instance().engine.url), CHANNEL, config_id)
    use_locale(config.locale or "en-US")  # the shop's customers read the till's language
    return render_template("pos_customer_display/display.html", config=config, channel=channel)


@blueprint.get("/config/<int:config_id>/display")
def display_state(config_id):
    """What the config's display shows now (`{"seq": 0, "state": "idle"}` before anything)."""
    require_config_access(config_id)
    with current_instance().engine.connect() as connection:
        _config(connection, config_id)
        row = connection.execute(select(STATE).where(STATE.c.config_id == config_id)).first()
    return jsonify(row.message if row else {"seq": 0, "state": "idle"})


@blueprint.post("/config/<int:config_id>/display")
def show_on_display(config_id):
    """Show `{"order": {"reference", "lines": [{"name", "qty", "price_unit", "discount",
    "tax_rate"}], "state": "open" | "paid", "change"}}` (or `{"order": null}`: idle)."""
    require_config_access(config_id)
    body = json_object()
    if set(body) != {"order"}:
        raise ApiError(400, "invalid_body", 'send {"order": {...}} (or {"order": null})')
    engine = current_instance().engine
    with BusTransaction(engine) as bus:
        config = _config(bus.connection, config_id)
        message = _message(body["order"], config)
        moved = bus.connection.execute(update(STATE).where(STATE.c.config_id == config_id)
                                       .values(seq=STATE.c.seq + 1, updated_at=utc_now()))
        if moved.rowcount == 0:
            bus.connection.execute(STATE.insert().values(config_id=config_id, seq=1,
                                                         message={}, updated_at=utc_now()))
        seq = bus.connection.scalar(select(STATE.c.seq).where(STATE.c.config_id == config_id))
        message = {"seq": seq, **message}
        bus.connection.execute(update(STATE).where(STATE.c.config_id == config_id)
                               .values(message=message))
        bus.send(pos_channel(database_name(engine.url), CHANNEL, config_id), message)
    return jsonify(message)


def _config(connection, config_id):
    config = connection.execute(select(PosConfig).where(PosConfig.id == config_id)).first()
    if config is None:
        raise ApiError(404, "unknown_config", f"there is no POS config {config_id}")
    return config


def _number(value, where, low, high):
    if isinstance(value, bool) or not isinstance(value, (int, str)) or (
            isinstance(value, str) and not NUMBER.fullmatch(value)):
        raise ApiError(400, "invalid_field", f"'{where}' must be a number such as \"1.80\"")
    number = Decimal(str(value))
    if not low <= number <= high:
        raise ApiError(400, "invalid_field", f"'{where}' must be from {low} to {high}")
    return number


def _message(order, config):
    settings = {"currency_code": config.currency_code, "locale": config.locale}
    if order is None:
        return {"state": "idle", **settings}
    state, lines = _order_state_and_lines(order)
    shown, total = [], Decimal(0)
    for index, line in enumerate(lines):
        shown_line, amount = _shown_line(line, f"order.lines[{index}]")
        shown.append(shown_line)
        total += amount
    change = order.get("change")
    reference = FIELDS.text(order.get("reference", ""), "order.reference", limit=64)
    return {"state": state, "reference": reference,
            "lines": shown, "total": str(total.quantize(CENT)),
            "change": None if change is None else str(_number(change, "order.change", 0, 10**8)
                                                      .quantize(CENT)),
            **settings}


def _order_state_and_lines(order):
    """The order's state ("open" by default) and its list of lines, or a 400."""
    FIELDS.mapping(order, "order", allow_none=True)
    unknown = sorted(set(order) - {"reference", "lines", "state", "change"})
    if unknown:
        raise ApiError(400, "invalid_field", f"'order' has unknown fields: {', '.join(unknown)}")
    state = FIELDS.choice(order.get("state", "open"), "order.state", ("open", "paid"))
    return state, FIELDS.items(order.get("lines"), "order.lines", MAX_LINES)


LINE_KEYS, LINE_OPTIONAL_KEYS = {"name", "qty", "price_unit"}, {"discount", "tax_rate"}


def _shown_line(line, where):
    """A line as the display shows it, and its amount with tax (each rounded to the cent, as
    the till rounds a line)."""
    if not isinstance(line, dict) or not LINE_KEYS <= set(line) or \
            set(line) - LINE_KEYS - LINE_OPTIONAL_KEYS:
        raise ApiError(400, "invalid_field", f"'{where}' must be {{\"name\", \"qty\", "
                                             "\"price_unit\", \"discount\", \"tax_rate\"}")
    qty = _number(line["qty"], f"{where}.qty", -100000, 100000)
    price = _number(line["price_unit"], f"{where}.price_unit", -10**8, 10**8)
    discount = _number(line.get("discount", "0"), f"{where}.discount", 0, 100)
    rate = _number(line.get("tax_rate", "0"), f"{where}.tax_rate", 0, 100)
    untaxed = (qty * price * (100 - discount) / 100).quantize(CENT, ROUND_HALF_UP)
    amount = untaxed + (untaxed * rate / 100).quantize(CENT, ROUND_HALF_UP)
    return {"name": FIELDS.text(line["name"], f"{where}.name", limit=128),
            "qty": str(qty.normalize()) if qty == qty.to_integral() else str(qty),
            "amount": str(amount)}, amount
