"""The print queue: each job is laid out once, stored, then sent; a job whose printer is off,
out of paper or unreachable stays queued and is sent again by `retry_queue` (oldest first).

Never twice: a job is claimed (`queued` -> `printing`, one UPDATE that only one caller wins)
before it is sent, and marked `printed` after; asking again for a printed key sends nothing. A
job left `printing` by a crash is not sent again (it may have printed): it is listed, and a
manager reprints a copy if needed.
"""
from dataclasses import dataclass

from flask import has_request_context
from sqlalchemy import select, update

from core.i18n import use_locale
from core.models import utc_now

from . import layout
from .device import PrinterError, send
from .models import PRINTED, PRINTING, QUEUED, PrintJob
from .settings import printer_of

JOB = PrintJob.__table__


@dataclass(frozen=True)
class PrintOutcome:
    status: str  # printed | already_printed | queued | printing
    job_id: int
    error: dict | None = None

    def to_json(self):
        found = {"status": self.status, "job_id": self.job_id}
        if self.error:
            found["error"] = self.error
        return found


class NothingToPrint(LookupError):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


def require_printer(connection, config_id, manager):
    printer = printer_of(connection, config_id, manager)
    if printer is None:
        raise NothingToPrint("printer_not_configured", f"POS config {config_id} names no "
                             "receipt printer (its admin form's \"Receipt printer\"): the "
                             "browser prints instead.")
    return printer


def _receipt_settings(connection, config_id):
    """The config's receipt settings; the receipt is written in its language (the request's
    locale set to the config's, as the till's page is)."""
    from addons.point_of_sale import PosConfig
    row = connection.execute(select(PosConfig).where(PosConfig.id == config_id)).first()
    if has_request_context():
        use_locale(row.locale)
    return {"name": row.name, "shop_name": row.shop_name, "shop_address": row.shop_address,
            "vat_number": row.vat_number, "currency_code": row.currency_code,
            "locale": row.locale}


def _job(connection, key):
    return connection.execute(select(JOB).where(JOB.c.key == key)).first()


def _enqueue(connection, config_id, key, what, make):
    """The job of `key`, stored now with `make()`'s bytes if it is new."""
    found = _job(connection, key)
    if found is None:
        connection.execute(JOB.insert().values(config_id=config_id, key=key, what=what,
                                               data=make(), state=QUEUED, attempts=0,
                                               error_code="", error="", created_at=utc_now()))
        found = _job(connection, key)
    return found


def print_order(engine, manager, config_id, order_uuid, copy=1):
    """Print copy `copy` of the config's order `order_uuid` (once); see the package's face."""
    from addons.point_of_sale import order_details
    key = f"order:{order_uuid}:{copy}"
    with engine.begin() as connection:
        printer = require_printer(connection, config_id, manager)
        settings = _receipt_settings(connection, config_id)  # its language, for the names too
        order = order_details(connection, config_id, order_uuid)
        if order is None:
            raise NothingToPrint("unknown_order", f"POS config {config_id} has no order "
                                 f"{order_uuid} (an order prints once the server has it)")
        job = _enqueue(connection, config_id, key, "receipt",
                       lambda: layout.receipt(order, settings, printer.columns, copy))
    return attempt(engine, printer, job.id)


def print_report(engine, manager, config_id, session_id, copy=1):
    """Print the session report of `session_id` (the closing's once closed)."""
    from addons.point_of_sale import PosSession, session_report
    with engine.begin() as connection:
        printer = require_printer(connection, config_id, manager)
        session = connection.execute(select(PosSession).where(
            PosSession.id == session_id, PosSession.config_id == config_id)).first()
        if session is None:
            raise NothingToPrint("unknown_session", f"POS config {config_id} has no session "
                                 f"{session_id}")
        report = session_report(connection, session_id)
        version = (f"t{report['ticket']['number']}" if report.get("ticket")
                   else f"o{report['order_count']}m{len(report.get('cash_moves') or [])}")
        settings = _receipt_settings(connection, config_id)
        job = _enqueue(connection, config_id, f"report:{session_id}:{version}:{copy}", "report",
                       lambda: layout.session_report(report, settings, printer.columns, copy))
    return attempt(engine, printer, job.id)


def attempt(engine, printer, job_id):
    """Claim the job and send it, unless it is printed (or being printed) already."""
    with engine.begin() as connection:
        claimed = connection.execute(update(JOB).where(
            JOB.c.id == job_id, JOB.c.state == QUEUED).values(
            state=PRINTING, attempts=JOB.c.attempts + 1)).rowcount == 1
        job = connection.execute(select(JOB).where(JOB.c.id == job_id)).first()
    if not claimed:
        return PrintOutcome("already_printed" if job.state == PRINTED else job.state, job_id)
    try:
        send(printer, job.data)
    except PrinterError as error:
        with engine.begin() as connection:
            connection.execute(update(JOB).where(JOB.c.id == job_id).values(
                state=QUEUED, error_code=error.code, error=error.message[:400]))
        return PrintOutcome(QUEUED, job_id, {"code": error.code, "message": error.message})
    except BaseException:
        with engine.begin() as connection:  # not sent (an error before the bytes left)
            connection.execute(update(JOB).where(JOB.c.id == job_id).values(state=QUEUED))
        raise
    with engine.begin() as connection:
        connection.execute(update(JOB).where(JOB.c.id == job_id).values(
            state=PRINTED, printed_at=utc_now(), error_code="", error=""))
    return PrintOutcome("printed", job_id)


def retry_queue(engine, manager, config_id):
    """Send the config's queued receipts and reports, oldest first, stopping at the first the
    printer refuses (it is still off); return their outcomes."""
    with engine.connect() as connection:
        printer = require_printer(connection, config_id, manager)
        waiting = connection.scalars(select(JOB.c.id).where(
            JOB.c.config_id == config_id, JOB.c.state == QUEUED, JOB.c.what != "drawer")
            .order_by(JOB.c.id)).all()
    outcomes = []
    for job_id in waiting:
        outcome = attempt(engine, printer, job_id)
        outcomes.append(outcome)
        if outcome.status == QUEUED:
            break
    return outcomes


def queue_of(connection, config_id, limit=50):
    """The config's latest jobs, newest first (what the till's print queue shows)."""
    return [{"job_id": row.id, "key": row.key, "what": row.what, "state": row.state,
             "attempts": row.attempts, "error_code": row.error_code or None,
             "error": row.error or None}
            for row in connection.execute(select(JOB).where(JOB.c.config_id == config_id)
                                          .order_by(JOB.c.id.desc()).limit(limit))]
