"""The rules an order obeys whoever sealed it: one rule set for the live path (`POST
/pos/orders`, orders.py) and for the records an autonomous till sealed (ledger_receive.py).

`order_rules` is what both run on a parsed order: the refund's scope and balance (refunds.py),
the totals computed from the lines and this server's tax rates against the till's total, and
the payments against the config's known, active methods, change only from a method that gives
it (payment_methods.check_payments, through compute_totals). A Rejection's code names the rule.

A received record is a fact: its ticket stays in the chain and the record is stored as the till
sealed it. `check_received_order` (received_orders.py) says which rule it breaks, if any;
the receiving side then quarantines it (`quarantine`): kept, but counted in no refund balance,
report or closing, and an alarm names the till, the ticket and the rule.
"""

from sqlalchemy import select

from core.models import utc_now

from .models import Order, Quarantine
from .totals import compute_totals


def order_rules(order, session, tax_rates, methods, refunds):
    """(totals, refund links or None) of `order` in `session`, or the Rejection of the rule it
    breaks (`refunds` a refunds.Refunds; `methods` the session's config's payment methods)."""
    links = refunds.check(order, session)
    totals = compute_totals(order, tax_rates, methods)
    return totals, links


def quarantine(connection, config_id, number, uuid, rule, message):
    """Keep the stored order `uuid` out of every balance, report and closing."""
    order_id = connection.scalar(select(Order.id).where(Order.uuid == uuid))
    connection.execute(Quarantine.__table__.insert().values(
        order_id=order_id, config_id=config_id, number=number, rule=rule[:64],
        message=message[:1000], at=utc_now()))


def not_quarantined(order_id_column):
    """A WHERE clause: the order is not quarantined."""
    return order_id_column.not_in(select(Quarantine.order_id))
