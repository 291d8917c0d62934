"""What a till shows about its synchronisation: last attempt and success, last error in words,
per-table checkpoints and full-import progress (rows, rate, time left)."""
from sqlalchemy import select

from core.models import utc_now

from .models import FULL, Checkpoint, Link
from .push import up_status


def aware(moment):
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=utc_now().tzinfo)
    return moment


def _iso(moment):
    return aware(moment).isoformat() if moment is not None else None


def rate_and_time_left(done, total, started_at, now=None):
    """(rows/s, seconds left or None) of a copy of `total` rows started at `started_at`."""
    elapsed = max(((now or utc_now()) - aware(started_at)).total_seconds(), 1e-3)
    rate = done / elapsed
    left = max(total - done, 0)
    return round(rate, 1), (round(left / rate, 1) if rate else None)


def progress_words(done, total, started_at, now=None):
    """`1200/3000 rows, 500 rows/s, 4 s left`: a full import's or a package's progress."""
    rate, left = rate_and_time_left(done, total, started_at, now)
    return (f"{done}/{total} rows, {round(rate)} rows/s"
            + (f", {round(left)} s left" if left is not None else ""))


def progress(checkpoint, now=None):
    """{rows_done, rows_total, rate (rows/s), seconds_left} of a full import under way."""
    if checkpoint.mode != FULL or checkpoint.started_at is None:
        return None
    rate, left = rate_and_time_left(checkpoint.rows_done, checkpoint.rows_total,
                                    checkpoint.started_at, now)
    return {"rows_done": checkpoint.rows_done, "rows_total": checkpoint.rows_total,
            "rate": rate, "seconds_left": left}


def link(connection):
    return connection.execute(select(Link)).first()


def till_status(connection):
    """The state as a dict (`core autonomous status --json`, GET /pos_autonomous/status)."""
    row = link(connection)
    if row is None:
        return {"role": "central"}
    tables = {}
    for checkpoint in connection.execute(select(Checkpoint).order_by(Checkpoint.table_name)):
        tables[checkpoint.table_name] = {
            "mode": checkpoint.mode, "version": checkpoint.version,
            "after": checkpoint.after, "reason": checkpoint.reason or None,
            "progress": progress(checkpoint), "updated_at": _iso(checkpoint.updated_at)}
    state = ("error" if row.last_error else "importing" if any(
        t["mode"] == FULL for t in tables.values()) else "ok" if row.last_success_at
        else "never")
    return {"role": "till", "state": state, "server_url": row.server_url,
            "till_id": row.till_id, "config_id": row.config_id,
            "last_attempt_at": _iso(row.last_attempt_at),
            "last_success_at": _iso(row.last_success_at), "last_error": row.last_error or None,
            "failures": row.failures, "last_event": row.last_event or None,
            "tables": tables, "up": up_status(connection, row.config_id)}
