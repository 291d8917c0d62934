"""Orders left unpaid when their run ended (every session of the multi-session closed): the
original dropped them silently (pos-addons #1239). They are kept, listed for a manager, and
restored into the current run in one action, which tells every till of the multi-session."""
from decimal import Decimal, InvalidOperation

from addons.pos_longpolling import BusTransaction
from core.errors import CoreError

from . import store
from .models import DRAFT, UNPAID
from .protocol import Outgoing, Run, deliver
from .validation import UPDATE_ORDER


class RestoreError(CoreError):
    pass


def last_editor(order):
    """"Name (POS name)" of who last changed the order, from the tills' ms_info, else ""."""
    info = order.get("ms_info")
    who = (info.get("changed") or info.get("created")) if isinstance(info, dict) else None
    if not isinstance(who, dict):
        return ""
    user, pos = _name_of(who.get("user")), _name_of(who.get("pos"))
    return f"{user} ({pos})" if user and pos else user or pos


def _name_of(part):
    """The `name` of an ms_info part as text; "" when there is none."""
    name = part.get("name") if isinstance(part, dict) else None
    return str(name) if name not in (None, "") else ""


def reference(order, uid):
    """What the till showed and printed: the order's `name`, else "Order <uid>"."""
    name = order.get("name")
    return str(name) if isinstance(name, str) and name.strip() else f"Order {uid}"


def _number(value, default="0"):
    try:
        number = Decimal(str(value if value not in (None, "", False) else default))
    except (InvalidOperation, ValueError):
        return Decimal(default)
    return number if number.is_finite() else Decimal(default)


def content(order):
    """["2 × Espresso", ...]: each line's quantity and name (or product id: an original
    till's lines carry no name)."""
    shown = []
    for line in order.get("lines") or []:
        if not isinstance(line, dict):
            continue
        name = line.get("name") or f"product #{line.get('product_id')}"
        shown.append(f"{_number(line.get('qty')).normalize():f} × {name}")
    return shown


def total(order):
    """The order's total as its tills last worked it out (`amount_total`, the original's),
    else from its lines (quantity × unit price, less discount, plus tax_rate %)."""
    if order.get("amount_total") not in (None, "", False):
        return _number(order["amount_total"]).quantize(Decimal("0.01"))
    amount = Decimal(0)
    for line in order.get("lines") or []:
        if isinstance(line, dict):
            amount += (_number(line.get("qty")) * _number(line.get("price_unit"))
                       * (1 - _number(line.get("discount")) / 100)
                       * (1 + _number(line.get("tax_rate")) / 100))
    return amount.quantize(Decimal("0.01"))


def listing(connection):
    """The unpaid orders, most recently changed first, as the admin page shows them."""
    return [{"id": order.id, "dbname": key.dbname, "multi_session_id": key.multi_session_id,
             "uid": order.uid, "number": order.sequence_number,
             "reference": reference(order.order, order.uid), "total": total(order.order),
             "content": content(order.order),
             "editor": last_editor(order.order), "run_id": order.run_id,
             "updated_at": updated_at}
            for key, order, updated_at in store.unpaid_orders(connection)]


def restore(engine, order_id):
    """Put the unpaid order `order_id` back in its multi-session's current run, under the next
    order number (the run's numbering restarted; its old number may be taken), one revision up,
    and send it to every till. Returns (key, StoredOrder); RestoreError says why not."""
    with engine.connect() as connection:
        found = store.load_order_by_id(connection, order_id)
    if found is None:
        raise RestoreError(f"there is no shared order {order_id}")
    key = found[0]
    with BusTransaction(engine) as bus:
        connection = bus.connection
        locked = store.lock_multi_session(connection, key)  # the lock first, then read again
        _, order = store.load_order_by_id(connection, order_id)
        if order.state != UNPAID:
            raise RestoreError(f"order {order.uid} is {order.state}, not unpaid: "
                               "someone restored or removed it already")
        run = Run(key, locked.run_id, locked.order_id + 1, changed=order, counter_moved=True)
        order.state, order.run_id, order.revision = DRAFT, run.run_id, order.revision + 1
        order.sequence_number = run.order_counter
        order.order = {**order.order, "sequence_number": run.order_counter,
                       "run_ID": run.run_id}
        # From the server, not a till: no till takes it for its own echo.
        deliver(bus, run, [Outgoing({"action": UPDATE_ORDER, "data": order.with_revision(),
                                     "session_id": None, "login_number": None})])
    return key, order
