"""A till's admin (/web/pos_autonomous): its synchronisation status, what waits to go up, its
technical events journal, and the synchroniser's timings (the running synchroniser reads them
at each pass). A bad field is said in a flash message, nothing saved."""
from flask import flash, render_template, request

from core.errors import CoreError
from core.i18n import _
from core.web import current_instance, current_plugins
from core.web.admin import moment
from core.web.guard import requires
from core.web.users import MANAGER

from .. import role, settings
from ..web import back_to_index, central_needs_an_admin, forms_blueprint
from ..wire import MAX_PAGE_SIZE
from . import journal

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
                           timings=timings(connection))


def timings(connection):
    """[(key, label, smallest, largest, current value)] for the till page's form."""
    parameters = current_instance().parameters(connection, current_plugins())
    return [(key, label, low, high, parameters.get(key)) for key, label, low, high in TIMINGS]


@forms_blueprint.post("/synchroniser")
@requires(MANAGER)  # a manager of the till (on the central instance: an admin, who is told no)
def save_timings():
    """A till's synchroniser timings (the running synchroniser reads them at each pass)."""
    with current_instance().engine.connect() as connection:
        refused = central_needs_an_admin(role.is_till(connection))
    if refused:
        return refused
    try:
        values = {}
        for key, label, low, high in TIMINGS:
            raw = (request.form.get(key) or "").strip()
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise CoreError(f"{label}: a whole number from {low} to {high}, not {raw[:20]!r}")
            values[key] = int(raw)
        if values[settings.MAX_RETRY_WAIT_MS] < values[settings.RETRY_WAIT_MS]:
            raise CoreError("the longest wait while unreachable cannot be shorter than the wait "
                            "after an error")
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
