"""The till's journal of technical events (the original's JET, NF525's audit trail): what the
synchroniser did and saw. Rows are only ever added; they go up with the pushes and the central
instance keeps them per till (`receive.py`).

Kinds: `sync` (a pass that synchronised), `sync_error` (a pass that failed, in words),
`full_reload` (a table reloaded whole, and why), `clock_change` (the wall clock jumped against
the monotonic clock between two passes), `restore` (the database went back in time: the central
instance holds a later push serial or more acknowledged tickets than this database knows).
"""
from sqlalchemy import func, select

from addons.point_of_sale import record_event
from core.models import utc_now
from core.times import utc_iso

from .models import Event

SYNC, SYNC_ERROR, FULL_RELOAD, CLOCK_CHANGE, RESTORE = (
    "sync", "sync_error", "full_reload", "clock_change", "restore")
KINDS = (SYNC, SYNC_ERROR, FULL_RELOAD, CLOCK_CHANGE, RESTORE)
MAX_MESSAGE = 2000
CLOCK_TOLERANCE_SECONDS = 120.0  # wall-clock drift between two passes that counts as a change


def record(connection, kind, message):
    """Add one event (in `connection`'s transaction); return its id. It is also sealed in
    point_of_sale's chained journal of events (kind `till_<kind>`), where a row deleted or
    edited before it goes up breaks the chain (`core pos verify`)."""
    record_event(connection, f"till_{kind}", None, message=message[:MAX_MESSAGE])
    return connection.execute(Event.__table__.insert().values(
        at=utc_now(), kind=kind, message=message[:MAX_MESSAGE])).inserted_primary_key[0]


def events_after(connection, event_id, limit):
    """The events after `event_id`, oldest first, in their wire form."""
    rows = connection.execute(select(Event).where(Event.id > event_id)
                              .order_by(Event.id).limit(limit))
    return [{"id": row.id, "at": utc_iso(row.at), "kind": row.kind, "message": row.message}
            for row in rows]


def count_after(connection, event_id):
    return connection.scalar(select(func.count()).select_from(Event).where(Event.id > event_id))


def recent(connection, limit=20):
    return connection.execute(select(Event).order_by(Event.id.desc()).limit(limit)).all()


class ClockWatch:
    """Sees the wall clock jump: between two passes, the wall clock should move as the
    monotonic clock does (within CLOCK_TOLERANCE_SECONDS)."""

    def __init__(self, wall, monotonic):
        self.wall, self.monotonic = wall, monotonic
        self._last = None

    def check(self):
        """None, or the jump in words when the wall clock moved unlike the monotonic one."""
        now = (self.wall(), self.monotonic())
        last, self._last = self._last, now
        if last is None:
            return None
        jump = (now[0] - last[0]) - (now[1] - last[1])
        if abs(jump) <= CLOCK_TOLERANCE_SECONDS:
            return None
        direction = "forward" if jump > 0 else "back"
        return f"the till's clock went {direction} by {abs(jump):.0f} s between two passes"
