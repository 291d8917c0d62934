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
    from addons.point_of_sale import record_event
    key = f"drawer:{order_uuid}" if reason == CASH_PAYMENT else None
    job_id = None
    if key is not None:
        with engine.begin() as connection:
            found = connection.execute(select(JOB).where(JOB.c.key == key)).first()
            if found is None:
                job_id = connection.execute(JOB.insert().values(
                    config_id=config_id, key=key, what="drawer", data=pulse(), state=PRINTING,
                    attempts=1, error_code="", error="", created_at=utc_now())
                ).inserted_primary_key[0]
            elif found.state == PRINTED or connection.execute(update(JOB).where(
                    JOB.c.id == found.id, JOB.c.state == QUEUED).values(
                    state=PRINTING, attempts=JOB.c.attempts + 1)).rowcount != 1:
                return "already_opened"
            else:
                job_id = found.id
    details = {"reason": reason, "by": by_login or "", "printer": printer.address}
    if order_uuid:
        details["order_uuid"] = order_uuid
    try:
        send(printer, pulse(), needs_paper=False)
    except PrinterError as error:
        with engine.begin() as connection:
            if job_id is not None:
                connection.execute(update(JOB).where(JOB.c.id == job_id).values(
                    state=QUEUED, error_code=error.code, error=error.message[:400]))
            record_event(connection, EVENT, config_id, **details, result=error.code)
        raise
    with engine.begin() as connection:
        if job_id is not None:
            connection.execute(update(JOB).where(JOB.c.id == job_id).values(
                state=PRINTED, printed_at=utc_now(), error_code="", error=""))
        record_event(connection, EVENT, config_id, **details, result="opened")
    return "opened"
