"""The cash drawer, wired to the receipt printer's drawer port: python-escpos's pulse on pin 2
(ESC p 0 25 250). It opens on a cash payment (once per order, however often the till asks)
and when a manager presses *Open drawer*; every opening, and every failed one, is journaled in
point_of_sale's journal of events (kind `drawer_open`). A pulse that could not be sent is not
queued: a drawer opening minutes later, unasked, would be worse than none."""
from escpos.printer import Dummy
from sqlalchemy import select, update

from core.models import utc_now

from .device import PrinterError, send
from .models import PRINTED, PRINTING, QUEUED, PrintJob

JOB = PrintJob.__table__
EVENT = "drawer_open"
CASH_PAYMENT, MANAGER = "cash_payment", "manager"


def pulse():
    """The drawer's pulse as python-escpos writes it."""
    printer = Dummy()
    printer.cashdraw(2)
    return printer.output


def open_drawer(engine, config_id, printer, reason, by_login="", order_uuid=None):
    """Open the drawer; return "opened" or "already_opened" (this order's opened it before).
    Raises PrinterError when the printer does not take the pulse."""
    job_id = None
    if reason == CASH_PAYMENT:
        job_id = _claim_order_opening(engine, config_id, f"drawer:{order_uuid}")
        if job_id is None:
            return "already_opened"
    details = {"reason": reason, "by": by_login or "", "printer": printer.address}
    if order_uuid:
        details["order_uuid"] = order_uuid
    try:
        send(printer, pulse(), needs_paper=False)
    except PrinterError as error:
        _record_opening(engine, config_id, job_id, details, error)
        raise
    _record_opening(engine, config_id, job_id, details)
    return "opened"


def _claim_order_opening(engine, config_id, key):
    """The id of the order's drawer job, now being sent: a new one, or the one a failed
    pulse left queued; None when the order's drawer was opened (or is being opened) already."""
    with engine.begin() as connection:
        found = connection.execute(select(JOB).where(JOB.c.key == key)).first()
        if found is None:
            return connection.execute(JOB.insert().values(
                config_id=config_id, key=key, what="drawer", data=pulse(), state=PRINTING,
                attempts=1, error_code="", error="", created_at=utc_now())
            ).inserted_primary_key[0]
        if found.state == PRINTED:
            return None
        claimed = connection.execute(update(JOB).where(
            JOB.c.id == found.id, JOB.c.state == QUEUED).values(
            state=PRINTING, attempts=JOB.c.attempts + 1)).rowcount == 1
        return found.id if claimed else None


def _record_opening(engine, config_id, job_id, details, error=None):
    """The job's outcome (printed, or queued again with the printer's error) and the journal's
    event, in one transaction."""
    from addons.point_of_sale import record_event
    if error is None:
        job_values = {"state": PRINTED, "printed_at": utc_now(), "error_code": "", "error": ""}
    else:
        job_values = {"state": QUEUED, "error_code": error.code, "error": error.message[:400]}
    with engine.begin() as connection:
        if job_id is not None:
            connection.execute(update(JOB).where(JOB.c.id == job_id).values(**job_values))
        record_event(connection, EVENT, config_id, **details,
                     result="opened" if error is None else error.code)
