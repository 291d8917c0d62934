"""A till's admin (/web/pos_autonomous): its synchronisation status, what waits to go up, its
technical events journal, the synchroniser's timings (the running synchroniser reads them
at each pass), *Recover* for a database behind (till/recover.py, run in the background, its
progress read by the page), the central server's address and *Test connection*. A bad field is
said in a flash message, nothing saved."""
import threading

from flask import flash, g, render_template, request

from core.errors import CoreError
from core.i18n import _
from core.values import whole_number
from core.web import current_instance, current_plugins
from core.web.admin import moment
from core.web.guard import requires
from core.web.users import MANAGER

from .. import role, settings
from ..web import back_to_index, central_needs_an_admin, forms_blueprint
from ..wire import MAX_PAGE_SIZE
from . import connection_test, journal, server_address
from .client import SyncError
from .recover import RecoverError, recover

# The synchroniser's timings (milliseconds) and page size: (key, label, smallest, largest).
TIMINGS = [
    (settings.SYNC_INTERVAL_MS, "Wait between two synchronisations (ms)", 10, 86_400_000),
    (settings.REQUEST_TIMEOUT_MS, "Request timeout (ms)", 10, 3_600_000),
    (settings.RETRY_WAIT_MS, "Wait after an error (ms, doubled after each further one)", 10,
     3_600_000),
    (settings.MAX_RETRY_WAIT_MS, "Longest wait while the server is unreachable (ms)", 10,
     86_400_000),
    (settings.PAGE_SIZE, "Rows per page", 1, MAX_PAGE_SIZE),
]


def page(connection, state):
    """The till's page, rendered (`state`: its till_status)."""
    return render_template("pos_autonomous/till.html", state=state, moment=moment,
                           up={"events": journal.recent(connection)},
                           timings=timings(connection),
                           recovery=recovery_of(current_instance()))


def timings(connection):
    """[(key, label, smallest, largest, current value)] for the till page's form."""
    parameters = current_instance().parameters(connection, current_plugins())
    return [(key, label, low, high, parameters.get(key)) for key, label, low, high in TIMINGS]


@forms_blueprint.post("/synchroniser")
@requires(MANAGER)  # a manager of the till (on the central instance: an admin, who is told no)
def save_timings():
    """A till's synchroniser timings (the running synchroniser reads them at each pass)."""
    refused = _central_refusal()
    if refused:
        return refused
    try:
        values = timings_from(request.form)
        with current_instance().engine.begin() as connection:
            if not role.is_till(connection):
                raise CoreError("this is the central instance: the timings are a till's")
            parameters = current_instance().parameters(connection, current_plugins())
            for key, value in values.items():
                parameters.set(key, value)
    except CoreError as exc:
        flash(_('Not saved: %(exc)s', exc=exc), "error")
    else:
        flash(_('Synchroniser timings saved; the synchroniser uses them from its next pass.'))
    return back_to_index()


def timings_from(form):
    """{key: whole number} of the timings form, each within its bounds; CoreError naming the
    first field that is not."""
    values = {}
    for key, label, low, high in TIMINGS:
        raw = (form.get(key) or "").strip()
        number = whole_number(raw)
        if number is None or not low <= number <= high:
            raise CoreError(f"{label}: a whole number from {low} to {high}, not {raw[:20]!r}")
        values[key] = number
    if values[settings.MAX_RETRY_WAIT_MS] < values[settings.RETRY_WAIT_MS]:
        raise CoreError("the longest wait while unreachable cannot be shorter than the wait "
                        "after an error")
    return values


def _central_refusal():
    """The 403 page when a manager posts a till's form to the central instance, else None."""
    with current_instance().engine.connect() as connection:
        return central_needs_an_admin(role.is_till(connection))


# -- recovery (#24 item 4): started here, run in the background, followed by the page -----------

_RECOVERIES = {}  # database URL -> this process's last recovery: running, lines, result, error
_RECOVERY_LOCK = threading.Lock()


def recovery_of(instance):
    """The last recovery this process ran for `instance`'s database, as JSON."""
    run = _RECOVERIES.get(str(instance.engine.url))
    return dict(run, lines=list(run["lines"])) if run else {
        "running": False, "lines": [], "result": None, "error": None}


def _run_recovery(instance, run):
    try:
        done = recover(instance, say=run["lines"].append)
        run["result"] = " ".join(recovered.words() for recovered in done)
    except (RecoverError, SyncError) as exc:
        run["error"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - said on the page; the till's log has the rest
        run["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        run["running"] = False


@forms_blueprint.post("/recover")
@requires(MANAGER)  # a manager of this till
def start_recovery():
    """Recover this till's database (till/recover.py) in the background; the page follows it."""
    instance = current_instance()
    with instance.engine.connect() as connection:
        refused = central_needs_an_admin(role.is_till(connection))
        if refused:
            return refused
        if not role.is_till(connection):
            flash(_("This is the central instance: recovery is a till's."), "error")
            return back_to_index()
    with _RECOVERY_LOCK:
        run = _RECOVERIES.get(str(instance.engine.url))
        if run and run["running"]:
            flash(_("A recovery is already under way."), "error")
            return back_to_index()
        run = {"running": True, "lines": [], "result": None, "error": None}
        _RECOVERIES[str(instance.engine.url)] = run
    threading.Thread(target=_run_recovery, args=(instance, run), daemon=True).start()
    flash(_("Recovery started: this page shows its progress."))
    return back_to_index()


# -- the central server: its address, Test connection --------------------------------------

@forms_blueprint.post("/server-address")
@requires(MANAGER)  # a manager of the till
def save_server_address():
    """The till's central server address, checked and journaled (old and new, who)."""
    refused = _central_refusal()
    if refused:
        return refused
    try:
        old, new = server_address.change(current_instance(), request.form.get("server_url"),
                                         changed_by=g.login)
    except CoreError as exc:
        flash(_('Not saved: %(exc)s', exc=exc), "error")
    else:
        flash(_('Server address changed from %(old)s to %(new)s; the synchroniser uses it from '
                'its next pass.', old=old, new=new) if old != new
              else _('The server address is already %(new)s.', new=new))
    return back_to_index()


@forms_blueprint.post("/test-central")
@requires(MANAGER)  # a manager of the till
def test_central():
    """*Test connection* to the central server: address, credentials, clock, versions, each
    said in a message of its own."""
    refused = _central_refusal()
    if refused:
        return refused
    try:
        checks = connection_test.test_central(current_instance())
    except CoreError as exc:
        flash(_('Connection test impossible: %(exc)s', exc=exc), "error")
        return back_to_index()
    if all(check.ok for check in checks):
        flash(_('The connection to the central server works.'))
    else:
        flash(_('The connection to the central server does not work: see below.'), "error")
    for check in checks:
        flash(_('%(label)s: %(words)s', label=check.label, words=check.words),
              {True: "message", False: "error", None: "notice"}[check.ok])
    return back_to_index()
