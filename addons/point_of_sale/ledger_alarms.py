"""The ledger's alarms: what a check of a config's chain found, kept until someone resolves it.

Each alarm names its config, its kind, the first ticket concerned and whose copy it is about:
`LOCAL` (this server's own database or clock) or `TILL` (what an autonomous till sent). The same
open alarm raised again counts up (`count`, `last_raised_at`) instead of piling up rows. A new
alarm is journaled too (event `ledger_alarm`, journal.py).
"""
from datetime import timedelta

from sqlalchemy import insert, select, update

from core.models import Parameter, utc_now
from core.values import whole_number

from .journal import record_event
from .models import LedgerAlarm

LOCAL, TILL = "local", "till"
ALARM = LedgerAlarm.__table__
CLOCK_TOLERANCE_KEY = "point_of_sale.ledger_clock_tolerance"
CLOCK_TOLERANCE_DEFAULT = 300  # seconds: the default declared in system_parameters.yaml


def clock_tolerance(connection):
    """How much earlier than the ticket before it a ticket may be sealed (and a closing dated
    before its session opened) without an alarm: point_of_sale.ledger_clock_tolerance. Read
    with the connection alone (sealing has no app at hand); a value that is not a whole number
    of seconds counts as the default."""
    stored = connection.scalar(select(Parameter.value).where(
        Parameter.key == CLOCK_TOLERANCE_KEY))
    seconds = whole_number((stored or "").strip())
    if seconds is None:
        seconds = CLOCK_TOLERANCE_DEFAULT
    return timedelta(seconds=seconds)


def raise_ledger_alarm(connection, config_id, kind, number, side, message):
    """Record (or count up) an open alarm; return its id."""
    same = connection.execute(select(ALARM.c.id).where(
        ALARM.c.config_id == config_id, ALARM.c.kind == kind, ALARM.c.side == side,
        ALARM.c.number.is_(None) if number is None else ALARM.c.number == number,
        ALARM.c.resolved_at.is_(None))).scalar()
    now = utc_now()
    if same is not None:
        connection.execute(update(ALARM).where(ALARM.c.id == same).values(
            count=ALARM.c.count + 1, last_raised_at=now, message=message[:1024]))
        return same
    alarm_id = connection.execute(insert(ALARM).values(
        config_id=config_id, kind=kind, number=number, side=side, message=message[:1024],
        raised_at=now, last_raised_at=now, count=1)).inserted_primary_key[0]
    record_event(connection, "ledger_alarm", config_id, alarm=kind, ticket=number, side=side,
                 message=message[:1024])
    return alarm_id


def ledger_alarms(connection, config_id=None, include_resolved=False):
    """The alarms (newest first) as dicts, open ones only unless `include_resolved`."""
    query = select(ALARM).order_by(ALARM.c.id.desc())
    if config_id is not None:
        query = query.where(ALARM.c.config_id == config_id)
    if not include_resolved:
        query = query.where(ALARM.c.resolved_at.is_(None))
    return [dict(row) for row in connection.execute(query).mappings()]


def resolve_ledger_alarm(connection, alarm_id, resolution):
    """Close an open alarm with a word on why; False when it is not open."""
    return connection.execute(update(ALARM).where(
        ALARM.c.id == alarm_id, ALARM.c.resolved_at.is_(None)).values(
        resolved_at=utc_now(), resolution=resolution[:256])).rowcount == 1
