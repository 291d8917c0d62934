"""Closings: when a session closes, its figures are computed from the stored tickets, kept in a
closing record and sealed in the config's chain (kind "closing"), in the closing's transaction.

A closing covers the session's orders sealed before it (and those stored before the ledger
existed). Sealing takes the config's head lock before the figures are read, so an order pushed
at the same moment is either in the figures or sealed after the closing, never lost between.

Figures (all amounts strings with two places in the record and the report):
- order_count, period_total (sum of the orders' totals, refunds negative);
- refund_count, refund_total (orders whose total is negative);
- totals_by_tax: per tax rate, untaxed, tax and total of the lines sold at that rate;
- totals_by_method: per payment method code, what it took; cash net of the change given;
- the cash: opening_float, cash_in, cash_out and the moves themselves (cash_control.py; all
  left out of a closing with no move, so closings sealed before cash control keep their links),
  expected_cash = opening float + cash taken net of change (sales less refunds) + in - out,
  counted_cash (what the manager counted), cash_difference = counted - expected (None without a
  count);
- perpetual_total: the config's previous closing's perpetual total plus this period's.
"""
import uuid as uuid_module
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import and_, case, func, literal_column, select

from core.i18n import _, ngettext, number_text
from core.models import utc_now

from .cash_control import cash_moves, cash_totals, move_record
from .ledger_form import MONEY, RATE, TIME, closing_records
from .ledger_seal import ENTRY, seal_record, sealed_entries_of, take_numbers
from .models import Closing, Order, OrderLine, Payment, PosConfig, PosSession
from .order_rules import not_quarantined

ZERO = Decimal("0.00")
CASH = "cash"  # the method whose payments are in the drawer and which gives the change

CASH_BREAKDOWN = ("opening_float", "cash_sales", "cash_refunds", "cash_in", "cash_out")
FIGURES = ("order_count", "refund_count", "refund_total", "period_total", "expected_cash",
           "totals_by_tax", "totals_by_method")


def session_figures(connection, session_id, before_number=None, cash=False):
    """The figures of a session's orders (canonical strings), from the stored tickets; with
    `before_number`, only orders not sealed at or after that ticket number. Its expected cash
    counts the session's opening float and cash moves; with `cash`, the figures also say what
    it is made of (CASH_BREAKDOWN)."""
    session = connection.execute(select(PosSession).where(PosSession.id == session_id)).one()
    condition = Order.session_id == session_id
    if before_number is not None:
        condition = condition & Order.uuid.not_in(select(ENTRY.c.uuid).where(
            ENTRY.c.kind == "order", ENTRY.c.config_id == session.config_id,
            ENTRY.c.number >= before_number))
    figures = orders_figures(connection, condition)
    opening, cash_in, cash_out = cash_totals(cash_moves(connection, session_id))
    write = MONEY[0]
    figures["expected_cash"] = write(Decimal(figures["expected_cash"]) + (opening or ZERO)
                                     + cash_in - cash_out)
    if cash:
        cash_sales, cash_refunds = _cash_sales_and_refunds(connection, condition)
        figures.update({"opening_float": write(opening), "cash_sales": write(cash_sales),
                        "cash_refunds": write(cash_refunds), "cash_in": write(cash_in),
                        "cash_out": write(cash_out)})
    return figures


def _cash_sales_and_refunds(connection, condition):
    """(cash taken by the sales net of the change given, cash given back by the refunds) of
    the orders `condition` selects; their difference is the cash method's total."""
    condition = and_(condition, not_quarantined(Order.id))
    sales, refunds = ZERO, ZERO
    for total, amount in connection.execute(
            select(Order.amount_total, Payment.amount)
            .join(Payment, Payment.order_id == Order.id)
            .where(condition, Payment.method == CASH)):
        if _money(total) < 0:
            refunds -= _money(amount)
        else:
            sales += _money(amount)
    change = connection.scalar(select(func.coalesce(func.sum(Order.amount_return), 0))
                               .where(condition))
    return sales - _money(change), refunds


def orders_figures(connection, condition):
    """The figures (canonical strings) of the stored orders that `condition` (an expression
    over Order's columns) selects; quarantined orders (order_rules.py) are never counted."""
    condition = and_(condition, not_quarantined(Order.id))
    rows = connection.execute(select(Order.amount_total, Order.amount_return)
                              .where(condition)).all()
    by_tax, by_method = _line_and_payment_totals(connection, select(Order.id).where(condition)) \
        if rows else ({}, defaultdict(lambda: ZERO))
    change = sum((_money(row.amount_return) for row in rows), ZERO)
    if change or CASH in by_method:
        by_method[CASH] -= change
    totals = [_money(row.amount_total) for row in rows]
    return _written(len(rows), [total for total in totals if total < 0], sum(totals, ZERO),
                    by_method, by_tax)


def _line_and_payment_totals(connection, ids):
    """({tax rate: (untaxed, total)} of the lines, {method: amount} of the payments) of the
    orders whose ids `ids` (a SELECT) gives."""
    by_tax = defaultdict(lambda: [ZERO, ZERO])
    by_method = defaultdict(lambda: ZERO)
    for line in connection.execute(select(
            OrderLine.tax_rate, OrderLine.price_subtotal, OrderLine.price_subtotal_incl)
            .where(OrderLine.order_id.in_(ids))):
        totals = by_tax[Decimal(line.tax_rate).quantize(Decimal("0.01"))]
        totals[0] += _money(line.price_subtotal)
        totals[1] += _money(line.price_subtotal_incl)
    for payment in connection.execute(select(Payment.method, Payment.amount)
                                      .where(Payment.order_id.in_(ids))):
        by_method[payment.method] += _money(payment.amount)
    return {rate: (untaxed, total) for rate, (untaxed, total) in by_tax.items()}, by_method


def _written(order_count, refunds, period_total, by_method, by_tax):
    write = MONEY[0]
    return {
        "order_count": order_count,
        "refund_count": len(refunds),
        "refund_total": write(sum(refunds, ZERO)),
        "period_total": write(period_total),
        "expected_cash": write(by_method.get(CASH, ZERO)),
        "totals_by_tax": [{"tax_rate": RATE[0](rate), "untaxed": write(untaxed),
                           "tax": write(total - untaxed), "total": write(total)}
                          for rate, (untaxed, total) in sorted(by_tax.items())],
        "totals_by_method": [{"method": method, "amount": write(amount)}
                             for method, amount in sorted(by_method.items())],
    }


def added_figures(figures):
    """The figures of several periods (as `orders_figures` gives them) added up."""
    by_tax, by_method = defaultdict(lambda: [ZERO, ZERO]), defaultdict(lambda: ZERO)
    count = refund_count = 0
    refund_total = period_total = ZERO
    for one in figures:
        count += one["order_count"]
        refund_count += one["refund_count"]
        refund_total += Decimal(one["refund_total"])
        period_total += Decimal(one["period_total"])
        for tax in one["totals_by_tax"]:
            totals = by_tax[Decimal(tax["tax_rate"])]
            totals[0] += Decimal(tax["untaxed"])
            totals[1] += Decimal(tax["total"])
        for method in one["totals_by_method"]:
            by_method[method["method"]] += Decimal(method["amount"])
    written = _written(count, [], period_total, by_method, dict(by_tax))
    return {**written, "refund_count": refund_count, "refund_total": MONEY[0](refund_total),
            "by_cashier": added_cashier_totals(one.get("by_cashier", ()) for one in figures)}


def _money(value):
    return Decimal(value).quantize(Decimal("0.01"))


def previous_perpetual_total(connection, config_id):
    """The perpetual grand total of the config's last sealed closing (0.00 before the first)."""
    last = connection.scalar(select(ENTRY.c.uuid).where(
        ENTRY.c.config_id == config_id, ENTRY.c.kind == "closing")
        .order_by(ENTRY.c.number.desc()).limit(1))
    if last is None:
        return ZERO
    return _money(connection.scalar(select(Closing.perpetual_total).where(Closing.uuid == last)))


def record_closing(connection, session_id, counted_cash=None):
    """Compute, store and seal the closing of session `session_id` (being closed in this
    transaction); return the SealedEntry. `counted_cash` is a Decimal or None (no count)."""
    session = connection.execute(select(PosSession).where(PosSession.id == session_id)).one()
    head = take_numbers(connection, session.config_id, 0)  # the lock, before the figures
    figures = session_figures(connection, session_id, before_number=head + 1)
    expected = Decimal(figures["expected_cash"])
    counted = None if counted_cash is None else _money(counted_cash)
    uuid = uuid_module.uuid4().hex
    moves = [move_record(row) for row in cash_moves(connection, session_id)]
    cash = {"opening_float": None, "cash_in": None, "cash_out": None, "cash_moves": None}
    if moves:
        opening, cash_in, cash_out = cash_totals(moves)
        cash = {"opening_float": opening, "cash_in": cash_in, "cash_out": cash_out,
                "cash_moves": moves}
    connection.execute(Closing.__table__.insert().values(**cash,
        uuid=uuid, session_id=session_id, closed_at=utc_now(),
        order_count=figures["order_count"], refund_count=figures["refund_count"],
        refund_total=Decimal(figures["refund_total"]),
        period_total=Decimal(figures["period_total"]),
        perpetual_total=previous_perpetual_total(connection, session.config_id)
        + Decimal(figures["period_total"]),
        expected_cash=expected, counted_cash=counted,
        cash_difference=None if counted is None else counted - expected,
        totals_by_tax=figures["totals_by_tax"], totals_by_method=figures["totals_by_method"]))
    return seal_record(connection, session.config_id, "closing", uuid)


# -- the report --------------------------------------------------------------------------------

def session_report(connection, session_id):
    """A session's figures for its till's close screen and the admin's session page: the
    closing record's once closed (with its ticket number and link), else computed now. Raises
    LookupError for an unknown session."""
    row = connection.execute(
        select(PosSession, PosConfig.name.label("config_name"))
        .join(PosConfig, PosConfig.id == PosSession.config_id)
        .where(PosSession.id == session_id)).first()
    if row is None:
        raise LookupError(f"there is no POS session {session_id}")
    report = {"session": {"id": row.id, "name": row.name, "state": row.state,
                          "config_id": row.config_id, "config_name": row.config_name,
                          "opened_at": TIME[0](row.opened_at), "closed_at": TIME[0](row.closed_at)}}
    closing_uuid = connection.scalar(select(Closing.uuid).where(Closing.session_id == session_id))
    if closing_uuid is None:
        figures = session_figures(connection, session_id, cash=True)
        perpetual = previous_perpetual_total(connection, row.config_id) + Decimal(
            figures["period_total"])
        return _with_cash_and_names(connection, row, {
            **report, **figures, "closed": False, "perpetual_total": MONEY[0](perpetual),
            "counted_cash": None, "cash_difference": None, "ticket": None,
            "cash_moves": [move_record(move) for move in cash_moves(connection, session_id)]})
    record = closing_records(connection, [closing_uuid])[closing_uuid]
    number, link = sealed_entries_of(connection, "closing", [closing_uuid]).get(
        closing_uuid, (None, None))
    # What this instance holds, recomputed: on a central server, the tickets a till sent beside
    # the closing it sealed offline (they must add up to it).
    received = session_figures(connection, session_id, before_number=number, cash=True)
    cash = {key: received.pop(key) for key in CASH_BREAKDOWN}
    return _with_cash_and_names(connection, row, {
        **report, **{k: record[k] for k in (*FIGURES, "perpetual_total", "counted_cash",
                                             "cash_difference", "closed_at")},
        "closed": True, "ticket": {"number": number, "link": link},
        "opening_float": record.get("opening_float"),
        "cash_in": record.get("cash_in", "0.00"), "cash_out": record.get("cash_out", "0.00"),
        "cash_sales": cash["cash_sales"], "cash_refunds": cash["cash_refunds"],
        "cash_moves": record.get("cash_moves", []),
        "received": received,
        "received_differs": [key for key in FIGURES if received[key] != record[key]]})


def _with_cash_and_names(connection, session, report):
    """The report with `method_names` ({code: the name the shop gave the method}), the
    expected cash explained in words (`cash_explanation`) and the totals per cashier
    (`by_cashier`, from the sealed tickets: each names its cashier)."""
    from .payment_methods import payment_methods
    names = {m["code"]: m["name"] for m in payment_methods(connection, session.config_id)}
    report["method_names"] = {total["method"]: names.get(total["method"], total["method"])
                              for total in report["totals_by_method"]} | {
                                  CASH: names.get(CASH, "Cash")}
    report["cash_explanation"] = explain_cash(report)
    report["by_cashier"] = cashier_totals(connection, session.id)
    from .approvals import approvals_of
    report["approvals"] = approvals_of(connection, session_id=session.id)
    return report


def explain_cash(report):
    """Where the expected cash comes from, and what the count says of it, in a sentence (in
    the caller's language, amounts as its locale writes them)."""
    def amount(value):
        return number_text(value or "0.00")
    text = _("Expected cash %(expected)s = opening float %(float)s + cash sales %(sales)s - cash "
             "refunds %(refunds)s + cash in %(cash_in)s - cash out %(cash_out)s.",
             expected=amount(report["expected_cash"]), float=amount(report["opening_float"]),
             sales=amount(report["cash_sales"]), refunds=amount(report["cash_refunds"]),
             cash_in=amount(report["cash_in"]), cash_out=amount(report["cash_out"]))
    difference = report.get("cash_difference")
    if difference is None:
        return text
    gap = Decimal(difference)
    counted = amount(report["counted_cash"])
    if gap == 0:
        return text + " " + _("Counted %(counted)s: the drawer is right.", counted=counted)
    moves = [m for m in report.get("cash_moves") or [] if m["kind"] != "float"]
    values = {"counted": counted, "gap": amount(str(abs(gap)))}
    said = (_("Counted %(counted)s: %(gap)s more than expected", **values) if gap > 0
            else _("Counted %(counted)s: %(gap)s less than expected", **values))
    if moves:
        why = ngettext(" (with %(num)d cash move recorded, listed below).",
                       " (with %(num)d cash moves recorded, listed below).", len(moves))
    else:
        why = _(" (no cash in or out was recorded: a missing one, wrong change or a sale rung "
                "up with another method).")
    return text + " " + said + why


def cashier_totals(connection, session_id):
    """Per cashier (their login; "" for tickets sold before cashiers were recorded): the
    session's sales (count and total) and refunds (count and total), by login."""
    return cashier_figures(connection, Order.session_id == session_id)


def cashier_figures(connection, condition):
    """`cashier_totals` of the stored orders `condition` selects (quarantined ones never)."""
    refund = Order.refunded_order_id.is_not(None)
    # One expression, not one bound parameter each in SELECT and GROUP BY: PostgreSQL tells
    # coalesce(cashier, $1) and coalesce(cashier, $7) apart and refused the query.
    login = func.coalesce(Order.cashier, literal_column("''"))
    rows = connection.execute(
        select(login,
               func.sum(case((refund, 0), else_=1)),
               func.coalesce(func.sum(case((refund, 0), else_=Order.amount_total)), 0),
               func.sum(case((refund, 1), else_=0)),
               func.coalesce(func.sum(case((refund, Order.amount_total), else_=0)), 0))
        .where(condition, not_quarantined(Order.id))
        .group_by(login).order_by(login))
    return [{"cashier": cashier, "orders": int(orders), "total": MONEY[0](total),
             "refunds": int(refunds), "refund_total": MONEY[0](refund_total)}
            for cashier, orders, total, refunds, refund_total in rows]


def added_cashier_totals(lists):
    """Several periods' `cashier_totals` added up, by login (a period closed before cashiers
    were counted adds nothing)."""
    added = {}
    for totals in lists:
        for one in totals:
            into = added.setdefault(one["cashier"], {"orders": 0, "total": ZERO, "refunds": 0,
                                                     "refund_total": ZERO})
            into["orders"] += one["orders"]
            into["refunds"] += one["refunds"]
            into["total"] += Decimal(one["total"])
            into["refund_total"] += Decimal(one["refund_total"])
    return [{"cashier": login, "orders": one["orders"], "total": MONEY[0](one["total"]),
             "refunds": one["refunds"], "refund_total": MONEY[0](one["refund_total"])}
            for login, one in sorted(added.items())]
