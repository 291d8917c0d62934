"""File exports on a schedule, for sites that use files (central instance).

`core autonomous export CONFIG_ID --to TARGET --loop` is a process of its own (a systemd unit in
docs/deploy.md): every `pos_autonomous.export_interval_s` seconds (read again at each round, so
a change needs no restart) it writes the changes since the previous export to that target, as
`core autonomous export` does once (files.py: the first export of a target is a full one). Each
run, looped or not, is recorded per (config, target) in `pos_autonomous_export_run` — last
attempt, last success, the files it wrote, the last error in words, failures in a row — which
the central admin shows, with a warning when a loop has not run for three of its intervals. An
error (FTP server down, disk full) is recorded and the next round tries again; nothing is lost:
the target's state file moves only after a complete export, so the next one starts from there.
"""
import ftplib
import json
import time

from sqlalchemy import select

from addons.point_of_sale import SessionError, get_config, record_event
from core.errors import CoreError
from core.models import utc_now
from core.times import as_utc, utc_iso
from core.values import whole_number

from .. import files, settings
from ..declarations import active_down_tables, declared_tables
from ..wire import MAX_PAGE_SIZE, NEW_TABLE, after_page
from . import pages, tills
from .models import ExportRun

LATE_INTERVALS = 3  # a loop not seen for this many intervals is said to be late
ERRORS = (CoreError, OSError, ftplib.Error)


def run_export(central, config_id, location, full=False, interval_s=None,
               skip_unchanged=False):
    """One export, recorded; return (files written, full or not). Raises CoreError (in words)
    when it failed, after recording it."""
    label = files.target(location).label[:255]  # without the password
    attempt = utc_now()
    try:
        written, was_full = export(central, config_id, location, full=full,
                                         skip_unchanged=skip_unchanged)
    except ERRORS as exc:
        words = str(exc) if isinstance(exc, CoreError) else f"{type(exc).__name__}: {exc}"
        _record(central, config_id, label, interval_s, words[:2000],
                last_attempt_at=attempt)
        raise CoreError(words) from None
    _record(central, config_id, label, interval_s, "", last_attempt_at=attempt,
            last_success_at=utc_now(), last_files=len(written), last_full=was_full)
    return written, was_full


def export(central, config_id, location, full=False, page_size=MAX_PAGE_SIZE,
           skip_unchanged=False):
    """Write the next export for the tills of `config_id`: the changes since the previous export
    to this target (its state file remembers where that one ended), or a full export (`full`,
    or the first time). Return (the files written, full or not). `skip_unchanged` (the export
    loop): changes that are none write no file."""
    store = files.target(location)
    store.prepare()
    state_name = f"c{config_id}-state.json"
    state = None if full else _state(store, state_name)
    pages_of = _ExportPages(central, store, config_id, state)
    written = pages_of.write_all(page_size, skip_unchanged)
    if not written:  # nothing changed: no file, the state stays
        return [], False
    store.write(state_name, _dumps({"exports": pages_of.number, "positions": pages_of.positions}))
    return written, pages_of.kind == "full"


def _state(store, state_name):
    """Where the previous export to `store` ended (its state file), or None (none yet)."""
    return json.loads(store.read(state_name)) if state_name in store.names() else None


class _ExportPages:
    """The pages of one export: numbered after the previous one, from where it ended (`state`)
    or from scratch (a full export)."""

    def __init__(self, central, store, config_id, state):
        self.central, self.store, self.config_id = central, store, config_id
        self.key = signing_key(central, config_id)
        self.declared = declared_tables(central.plugin_manager())
        self.number = (state["exports"] + 1) if state else _next_number(store, config_id)
        self.kind = "incr" if state else "full"
        self.positions = dict(state["positions"]) if state else {}

    def write_all(self, page_size, skip_unchanged):
        """Write each page, signed, moving `positions` on; return the file names (none when
        `skip_unchanged` and nothing changed since the previous export)."""
        written = []
        while True:
            request, answer = _next_page(self.central, self.declared, self.positions,
                                         self.config_id, page_size)
            if skip_unchanged and self.kind == "incr" and not written and _unchanged(answer):
                return []
            name = f"c{self.config_id}-{self.number:04d}-{self.kind}-{len(written) + 1:05d}.json"
            self.store.write(name, files.signed_page(self.key, self.config_id, {
                "request": request, "answer": answer}))
            written.append(name)
            self.positions = after_page(request, {table: part["checkpoint"]
                                                  for table, part in answer["tables"].items()})
            if not answer["more"]:
                return written


def signing_key(central, config_id):
    """The config's private key for page files (made the first time): it stays here."""
    with central.engine.begin() as connection:
        parameters = central.parameters(connection, central.plugin_manager())
        raw = parameters.get("pos_autonomous.file_signing_keys")
        keys = json.loads(raw) if raw else {}
        if str(config_id) not in keys:
            keys[str(config_id)] = files.new_signing_key()
            parameters.set("pos_autonomous.file_signing_keys", json.dumps(keys))
        return keys[str(config_id)]


def _next_page(central, declared, positions, config_id, page_size):
    """(request, answer): the page a till standing at `positions` would be given (a shop whose
    first config is `config_id`: the rows of all its configs)."""
    with central.engine.begin() as connection:
        tables = active_down_tables(connection, declared)
        request = {name: positions.get(name, NEW_TABLE) for name in tables}
        return request, pages.answer_pull(connection, tables, request,
                                          tills.export_scope(connection, config_id), page_size)


def _unchanged(answer):
    """A last page without a row or a deletion: nothing changed since the last export."""
    return not answer["more"] and not any(part.get("rows") or part.get("deleted")
                                          for part in answer["tables"].values())


def _dumps(value):
    return json.dumps(value, separators=(",", ":"), default=str).encode()


def _next_number(store, config_id):
    numbers = [whole_number(n.split("-")[1]) for n in store.names()
               if n.startswith(f"c{config_id}-")]
    return max((n for n in numbers if n is not None), default=0) + 1


def _record(central, config_id, label, interval_s, error, **values):
    table = ExportRun.__table__
    with central.engine.begin() as connection:
        where = (table.c.config_id == config_id, table.c.target == label)
        done = connection.execute(table.update().where(*where).values(
            interval_s=interval_s, last_error=error,
            failures=table.c.failures + 1 if error else 0, **values))
        if not done.rowcount:
            connection.execute(table.insert().values(
                config_id=config_id, target=label, interval_s=interval_s, last_error=error,
                failures=1 if error else 0, **values))
        if error or values.get("last_files"):  # the loop's empty turns are not events
            # The fiscal journal (JET) records every export, and every failed one, with where.
            record_event(connection, "export_failed" if error else "export", config_id,
                         target=label, files=values.get("last_files", 0),
                         full=bool(values.get("last_full")), error=error[:500])


def interval(central):
    """The loop's wait (seconds), at least one whatever the parameter says."""
    with central.engine.connect() as connection:
        return max(1, settings.read(central, connection)[settings.EXPORT_INTERVAL_S] or 300)


def export_loop(central, config_id, location, say, should_stop=lambda: False,
                sleep=time.sleep):
    """Export, wait the interval, again, until `should_stop()` (SIGTERM); errors are recorded
    and said, never fatal. A round with nothing changed writes no file."""
    with central.engine.connect() as connection:
        try:
            get_config(connection, config_id)
        except SessionError as exc:
            raise CoreError(str(exc)) from None
    while not should_stop():
        seconds = interval(central)
        try:
            written, was_full = run_export(central, config_id, location, interval_s=seconds,
                                           skip_unchanged=True)
        except CoreError as exc:
            say(f"export failed (next try in {seconds} s): {exc}")
        else:
            if written:
                say(f"{'full export' if was_full else 'changes'}: {len(written)} file(s) "
                    "written")
        waited = 0.0
        while waited < seconds and not should_stop():  # SIGTERM ends the wait at once
            step = min(0.2, seconds - waited)
            sleep(step)
            waited += step


def runs(connection):
    """The recorded exports for the admin: each with `late` (a loop that stopped running)."""
    now = utc_now()
    result = []
    for run in connection.execute(select(ExportRun).order_by(ExportRun.config_id,
                                                             ExportRun.target)):
        late = (run.interval_s is not None and run.last_attempt_at is not None and (
            now - as_utc(run.last_attempt_at)).total_seconds() > LATE_INTERVALS * run.interval_s)
        result.append({"run": run, "late": late})
    return result


def run_json(item):
    """A recorded export as `core autonomous status --json` prints it."""
    run = item["run"]
    return {"config_id": run.config_id, "target": run.target, "interval_s": run.interval_s,
            "last_attempt_at": utc_iso(run.last_attempt_at),
            "last_success_at": utc_iso(run.last_success_at), "last_files": run.last_files,
            "last_full": bool(run.last_full), "last_error": run.last_error or None,
            "failures": run.failures, "late": item["late"]}
