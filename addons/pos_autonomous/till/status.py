"""What a till shows about its synchronisation: last attempt and success, last error in words,
per-table checkpoints and full-import progress (rows, rate, time left)."""
from sqlalchemy import select

from core.i18n import _
from core.times import utc_iso

from .. import role
from ..progress import rate_and_time_left
from ..wire import FULL, INCREMENTAL
from . import high_water
from .models import Checkpoint
from .push import up_status


def progress(checkpoint, now=None):
    """{rows_done, rows_total, rate (rows/s), seconds_left} of a full import under way."""
    if checkpoint.mode != FULL or checkpoint.started_at is None:
        return None
    rate, left = rate_and_time_left(checkpoint.rows_done, checkpoint.rows_total,
                                    checkpoint.started_at, now)
    return {"rows_done": checkpoint.rows_done, "rows_total": checkpoint.rows_total,
            "rate": rate, "seconds_left": left}


def progress_line(checkpoint):
    """`table: 1200/3000 rows, 500 rows/s, 4 s left` of a full import under way, else None."""
    shown = progress(checkpoint)
    if not shown:
        return None
    left = shown["seconds_left"]
    return (f"{checkpoint.table_name}: {shown['rows_done']}/{shown['rows_total']} "
            f"rows, {shown['rate']:.0f} rows/s" + (f", {left:.0f} s left" if left is not None
                                                   else ""))


def till_status(connection, config_id=None):
    """The state as a dict (`core autonomous status --json`, GET /pos_autonomous/status). A
    shop's configs each have their "up" in "configs"; "up", "till_id" and "config_id" are those
    of `config_id` when the shop serves it (a till's POS page asks for its own), else the
    first config's."""
    row = role.link(connection)
    if row is None:
        return {"role": role.CENTRAL}
    tables = _tables(connection)
    configs = [{"config_id": pusher.config_id, "till_id": pusher.till_id,
                "up": up_status(connection, pusher.config_id, pusher.state_id)}
               for pusher in role.pushers(connection)]
    gap = next(filter(None, (high_water.behind(connection, config["config_id"])  # a shop: any
                             for config in configs)), None)
    shown = next((c for c in configs if c["config_id"] == config_id), configs[0])
    return {"role": role.TILL, "state": _state_word(row, tables, gap),
            "server_url": row.server_url, "till_id": shown["till_id"],
            "config_id": shown["config_id"],
            "last_attempt_at": utc_iso(row.last_attempt_at),
            "last_success_at": utc_iso(row.last_success_at), "last_error": row.last_error or None,
            "failures": row.failures, "last_event": row.last_event or None,
            "alarm": row.clock_alarm or None,
            "tables": tables, "up": shown["up"], "configs": configs,
            "behind": high_water.words(gap) if gap else None}


def _tables(connection):
    """{table name: its checkpoint and full-import progress}."""
    return {checkpoint.table_name: {
        "mode": checkpoint.mode, "version": checkpoint.version,
        "after": checkpoint.after, "reason": checkpoint.reason or None,
        "progress": progress(checkpoint), "updated_at": utc_iso(checkpoint.updated_at)}
        for checkpoint in connection.execute(select(Checkpoint)
                                             .order_by(Checkpoint.table_name))}


def _state_word(row, tables, gap):
    if gap:
        return "behind"
    if row.last_error:
        return "error"
    if any(table["mode"] == FULL for table in tables.values()):
        return "importing"
    return "ok" if row.last_success_at else "never"


def lines(state):
    """A till's state (till_status) in words, a line each, for `core autonomous status`."""
    never = _("never")
    yield _("Till %(till)s of config %(config)s -> %(url)s", till=state["till_id"],
            config=state["config_id"], url=state["server_url"])
    yield _("state: %(state)s; last success: %(success)s; last attempt: %(attempt)s",
            state=state["state"], success=state["last_success_at"] or never,
            attempt=state["last_attempt_at"] or never)
    yield from _warning_lines(state)
    yield from _up_lines(state["up"])
    yield from _shop_lines(state, _("never"), _("none"))
    for name, table in state["tables"].items():
        yield _table_line(name, table)


def _warning_lines(state):
    """Not selling, the last error, the clock alarm, the last event: those there are."""
    if state.get("behind"):
        yield _("NOT SELLING: %(reason)s", reason=state["behind"])
    if state["last_error"]:
        yield _("last error (%(count)s failure(s) in a row): %(error)s",
                count=state["failures"], error=state["last_error"])
    if state.get("alarm"):
        yield _("ALARM: %(alarm)s", alarm=state["alarm"])
    if state["last_event"]:
        yield _("last event: %(event)s", event=state["last_event"])


def _up_lines(up):
    """What waits to go up, the last push and what the central instance refused."""
    yield _("waiting to go up: %(waiting)s; last acknowledged ticket: %(ticket)s; last push: "
            "%(push)s", waiting=_waiting_words(up), ticket=up["last_acknowledged"] or _("none"),
            push=up["last_push_at"] or _("never"))
    if up["last_refusal"]:
        yield _("last refusal: %(refusal)s", refusal=up["last_refusal"])
    for error in up["customer_errors"]:
        yield _("customer change refused: %(error)s", error=error)


def _shop_lines(state, never, none):
    """A shop's other configs: each its own chain going up (the first is said above)."""
    for config in state.get("configs", [])[1:]:
        up = config["up"]
        yield _("config %(config)s (till %(till)s): waiting to go up: %(waiting)s; last "
                "acknowledged ticket: %(ticket)s; last push: %(push)s", config=config["config_id"],
                till=config["till_id"], waiting=_waiting_words(up),
                ticket=up["last_acknowledged"] or none, push=up["last_push_at"] or never)
        if up["last_refusal"]:
            yield _("config %(config)s: last refusal: %(refusal)s", config=config["config_id"],
                    refusal=up["last_refusal"])


def _table_line(name, table):
    if table["mode"] == INCREMENTAL:
        return "  " + _("%(table)s: %(mode)s from version %(version)s", table=name,
                        mode=table["mode"], version=table["version"])
    if table["progress"]:
        p = table["progress"]
        return "  " + _("%(table)s: %(mode)s (%(reason)s): %(done)s/%(total)s rows, %(rate)s "
                        "rows/s", table=name, mode=table["mode"], reason=table["reason"],
                        done=p["rows_done"], total=p["rows_total"], rate=format(p["rate"], ".0f"))
    return f"  {name}: {table['mode']}"


def _waiting_words(up):
    tickets = up["tickets"] if up["tickets"] is not None else _("%(count)s entries",
                                                                  count=up["entries"])
    closings = up["closings"] if up["closings"] is not None else "?"
    return _("%(tickets)s ticket(s), %(closings)s closing(s), %(customers)s customer "
             "change(s), %(events)s event(s)", tickets=tickets, closings=closings,
             customers=up["customers"], events=up["events_waiting"])
