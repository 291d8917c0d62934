"""The up direction on the admin pages (/web/pos_autonomous): on the central instance, what each
till sent (last contact, last acknowledged ticket, open alarms), the alarms (which till, which
numbers, what), the acknowledgement journal and the tills' technical events; on a till, what
waits to go up and its own journal."""
from flask import flash, redirect, request, url_for

from core.web import current_instance

from . import journal, receive, tills
from .admin import admin_blueprint


def context(connection, state):
    """What the templates' up sections show, for the page's role."""
    if state["role"] == "till":
        return {"events": journal.recent(connection)}
    overview = receive.till_overview(connection)
    names = {till.id: till.name for till in tills.tills(connection)}
    return {"overview": overview, "names": names,
            "alarms": receive.open_alarms(connection),
            "acknowledgements": receive.recent_acknowledgements(connection),
            "events": receive.recent_events(connection)}


@admin_blueprint.post("/alarms/<int:alarm_id>/resolve")
def resolve_alarm(alarm_id):
    note = (request.form.get("resolution") or "").strip()[:500] or "resolved on the admin"
    with current_instance().engine.begin() as connection:
        done = receive.resolve(connection, alarm_id, note)
    if done:
        flash(f"Alarm {alarm_id} is resolved ({note}).")
    else:
        flash(f"Alarm {alarm_id} is not open.", "error")
    return redirect(url_for(".index"))

