"""The till's synchroniser, the one module that uses the HTTP client, the page applier and the
push together: a pass first pushes the till's sealed entries and customer changes (upload.py),
then pulls pages until the till is up to date; the loop repeats passes at the configured
interval and backs off while the server is unreachable. What it does and sees goes into the
till's technical events journal (journal.py).
"""
import gc
import time
from contextlib import contextmanager

from sqlalchemy import select

from addons.point_of_sale import run_due_closings
from core.models import utc_now
from core.times import utc_iso

from .. import role, settings
from ..declarations import declared_tables
from ..wire import FULL, INCREMENTAL, PULL
from . import apply, journal
from .client import CentralClient, SyncError, busy_wait
from .models import Checkpoint, Link
from .status import progress_line
from .upload import upload


class Synchroniser:
    def __init__(self, instance, say=lambda message: None):
        self.instance = instance
        self.say = say
        self.manager = instance.plugin_manager()
        self.declared = {table.name: table for table in declared_tables(self.manager)}
        with instance.engine.connect() as connection:
            self.settings = settings.read(instance, connection, self.manager)
            row = role.link(connection)
        if row is None:
            raise SyncError("this database is not an autonomous till (create one with "
                            "`core autonomous init PACKAGE`)")
        self.client = CentralClient(row.server_url, f"{row.till_id}.{row.secret}",
                                    self.settings[settings.REQUEST_TIMEOUT_MS] / 1000)
        self.link = row
        self.clients = {}  # a shop's other configs push as their own tills (role.pushers)
        self.chain_checked_at = {}  # {config id: monotonic time of its whole chain's check}
        self.clock = journal.ClockWatch(time.time, time.monotonic)
        self.sleep = time.sleep

    def reload_settings(self):
        """Read the timings and the server address again (the till's admin may have changed
        them)."""
        with self.instance.engine.connect() as connection:
            self.settings = settings.read(self.instance, connection, self.manager)
            server_url = connection.scalar(select(Link.server_url))
        timeout = self.settings[settings.REQUEST_TIMEOUT_MS] / 1000
        if server_url != self.client.server_url:  # changed by a manager (server_address.py)
            self.close()
            self.client = CentralClient(server_url, self.client.token, timeout)
            self.clients = {}  # the shop's other configs reconnect to the new address too
        for client in (self.client, *self.clients.values()):
            if timeout != client.timeout:
                client.timeout = timeout
                client.close()  # the next request connects with the new timeout

    def client_for(self, pusher):
        """The HTTP client a config's chain goes up with: the link's own for its config, one
        per other config of a shop (each its own till's token)."""
        if pusher.till_id == self.link.till_id:
            return self.client
        if pusher.till_id not in self.clients:
            self.clients[pusher.till_id] = CentralClient(
                self.client.server_url, pusher.token, self.client.timeout)
        return self.clients[pusher.till_id]

    def close(self):
        for client in (self.client, *self.clients.values()):
            client.close()

    def pull_page(self):
        """Fetch one page and apply it with its checkpoints; return the answer."""
        with self.instance.engine.connect() as connection:
            positions = apply.positions(connection)
            digest = connection.scalar(select(Link.cashiers_digest))
        with _without_cycle_collection():
            answer = self.client.post(PULL, {
                "tables": positions, "cashiers": digest,
                "page_size": self.settings[settings.PAGE_SIZE]})
            with self.instance.engine.begin() as connection:
                events = apply.apply_answer(connection, answer, self.declared)
                changed = {"last_event": events[-1]} if events else {}
                held_digest = answer.get("cashiers", {}).get("digest", digest)
                if held_digest != digest:
                    changed["cashiers_digest"] = held_digest
                if changed:
                    connection.execute(Link.__table__.update().values(**changed))
                for event in events:
                    journal.record(connection, journal.FULL_RELOAD, event)
        for event in events:
            self.say(event)
        return answer

    def sync_once(self):
        """One pass: push first, then pull until the till is up to date. Record the outcome;
        raise SyncError on failure (a refused push too, after the pull). Return the number of
        pages."""
        self._record(last_attempt_at=utc_now())
        jump = self.clock.check()
        if jump:  # journaled, kept as the till's alarm (status, admin) and sent up (an alarm
            # on the central instance too, receive.py)
            self._journal(journal.CLOCK_CHANGE, jump)
            self._record(clock_alarm=f"{jump} (seen at {utc_iso(utc_now())})")
        self._run_closings()
        pages = 0
        try:
            uploaded = upload(self)
            while True:
                answer = self.pull_page()
                pages += 1
                self._report_progress(answer)
                if not answer["more"]:
                    break
        except SyncError as exc:
            self._failed(str(exc))
            raise
        except Exception as exc:  # a page the till could not apply: say it, keep the till
            self._failed(f"{type(exc).__name__}: {exc}")
            raise SyncError(str(exc)) from exc
        if uploaded.refusal:
            self._failed(uploaded.refusal)
            raise SyncError(uploaded.refusal)
        self._record(last_success_at=utc_now(), last_error="", failures=0)
        if uploaded.entries or uploaded.customers or pages > 1:
            self._journal(journal.SYNC, f"pushed {uploaded.entries} entries in "
                                        f"{uploaded.batches} batches, sent {uploaded.customers} "
                                        f"customer changes, pulled {pages} pages")
        return pages

    def _report_progress(self, answer):
        """A line per table the page changed; for a full import, rows, rate and time left from
        its checkpoint (one indexed read: the page wrote them there)."""
        importing = []
        for name, part in answer["tables"].items():
            if part["mode"] == INCREMENTAL and (part["rows"] or part["deleted"]):
                self.say(f"{name}: {len(part['rows'])} changed, {len(part['deleted'])} deleted "
                         f"(version {part['checkpoint']['version']})")
            if part["mode"] == FULL and part["rows"]:
                importing.append(name)
        if not importing:
            return
        with self.instance.engine.connect() as connection:
            checkpoints = connection.execute(select(Checkpoint).where(
                Checkpoint.table_name.in_(importing)).order_by(Checkpoint.table_name)).all()
        for line in filter(None, map(progress_line, checkpoints)):
            self.say(line)

    def _failed(self, message):
        """Record the failure; journal it when it differs from the last one (a server down for
        an hour is one event, not one per retry)."""
        with self.instance.engine.begin() as connection:
            previous = connection.scalar(select(Link.last_error))
            connection.execute(Link.__table__.update().values(
                last_error=message, failures=Link.failures + 1))
            if message != previous:
                journal.record(connection, journal.SYNC_ERROR, message)

    def _run_closings(self):
        """The periodic closings due (point_of_sale), made on the till whether or not the
        central instance answers; a failure is said and the pass goes on."""
        try:
            with self.instance.engine.begin() as connection:
                run_due_closings(connection, self.instance.parameters(connection, self.manager))
        except Exception as exc:  # noqa: BLE001 - the sales and the sync go on
            self.say(f"periodic closings failed: {type(exc).__name__}: {exc}")

    def _journal(self, kind, message):
        with self.instance.engine.begin() as connection:
            journal.record(connection, kind, message)

    def _record(self, **values):
        with self.instance.engine.begin() as connection:
            connection.execute(Link.__table__.update().values(**values))

    def retry_wait(self, failures):
        """Seconds to wait after `failures` failures in a row: doubling, capped."""
        wait = self.settings[settings.RETRY_WAIT_MS] * 2 ** max(failures - 1, 0)
        return min(wait, self.settings[settings.MAX_RETRY_WAIT_MS]) / 1000

    def run(self, once=False, should_stop=lambda: False):
        failures = 0
        while not should_stop():
            self.reload_settings()
            try:
                pages = self.sync_once()
                failures = 0
                self.say(f"synchronised ({pages} page{'s' if pages != 1 else ''})")
                wait = self.settings[settings.SYNC_INTERVAL_MS] / 1000
            except SyncError as exc:
                failures += 1
                wait = self.retry_wait(failures)
                if exc.retry_after is not None:  # the central instance said when to come back
                    wait = max(wait, busy_wait(exc.retry_after))
                self.say(f"synchronisation failed: {exc}; next try in {wait:.1f} s")
                if once:
                    raise
            if once:
                return
            self.sleep(wait)


@contextmanager
def _without_cycle_collection():
    """Decoding and applying a page makes tens of thousands of small lists of plain values (no
    cycles among them). Each few hundred would start a pass of the cycle collector, and the
    rows piling up would start full passes over every object of the process: a third of an
    import's time. Reference counting frees the page as usual; collection resumes after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def request_full_import(instance, manager=None):
    """`core autonomous import --full`: every table restarts a full import at the next pull."""
    declared = declared_tables(manager or instance.plugin_manager())
    with instance.engine.begin() as connection:
        for table in declared:
            if "down" in table.directions:
                apply.restart_full(connection, table.name, "requested")
    return [table.name for table in declared]
