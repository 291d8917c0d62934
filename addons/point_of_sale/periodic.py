"""Periodic closings: daily per config, monthly and yearly built from the daily ones, and the
same per establishment (the configs of one shop), each sealed as an event of the journal
(journal.py) with its figures, its period and perpetual grand totals.

A business day runs from `point_of_sale.closing_hour` (local time of
`point_of_sale.time_zone`) to the same hour the next day, so a bar open past midnight closes
its night in one day. The daily closing of a config covers the tickets of its chain numbered
after the previous daily closing's last ticket and sealed before the day's end: a ticket is in
exactly one daily closing, whatever the order in which the closings are made (a run after a
week without one makes the week's dailies one by one), and a ticket that arrives late from an
offline till is in the day it reached this instance. Days without tickets have no closing.

A month's closing adds up the month's dailies, a year's the year's monthlies; the perpetual
grand total of a closing is the previous one's plus its period total (the last daily's for a
month, the last monthly's for a year). Duplicates (reprinted receipts) are counted in the
period they were printed (journal events `duplicate`).

`run_closings(connection, now, ...)` makes every closing that is due at `now` (`core pos
closings run`, from a systemd timer or the autonomous till's synchroniser) and is idempotent:
running it twice makes nothing the second time.
"""
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select

from core.errors import CoreError

from .closing import added_figures, cashier_figures, orders_figures
from .journal import EVENT, LOCAL, event_json, record_event, utc_text
from .ledger_seal import ENTRY
from .models import Order, PosConfig

DAILY, MONTHLY, YEARLY = "daily_closing", "monthly_closing", "yearly_closing"
CLOSING_KINDS = (DAILY, MONTHLY, YEARLY)
DUPLICATE = "duplicate"  # the journal event of a reprinted receipt
HOUR_PARAMETER, ZONE_PARAMETER = "point_of_sale.closing_hour", "point_of_sale.time_zone"


class ClosingSettingsError(CoreError, ValueError):
    pass


def zone_of(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ClosingSettingsError(f"{ZONE_PARAMETER} {name!r} is not a time zone such as "
                                   "Europe/Paris") from None


def business_day(moment, zone, hour):
    """The business day (a date) that the UTC datetime `moment` falls in."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment.astimezone(zone) - timedelta(hours=hour)).date()


def day_bounds(day, zone, hour):
    """(start, end) in UTC of a business day."""
    start = datetime.combine(day, time(hour), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(hour), tzinfo=zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def settings(parameters):
    """(zone, hour) from the system parameters."""
    hour = parameters.get(HOUR_PARAMETER)
    if not 0 <= hour <= 23:
        raise ClosingSettingsError(f"{HOUR_PARAMETER} must be an hour from 0 to 23, not {hour}")
    return zone_of(parameters.get(ZONE_PARAMETER)), hour


# -- reading closings --------------------------------------------------------------------------

def closings(connection, config_id=None, kinds=CLOSING_KINDS, establishment=None):
    """The closings (journal events, oldest first) of a config, or of an establishment (by
    name) with `config_id` None."""
    query = select(EVENT).where(EVENT.c.chain == LOCAL, EVENT.c.kind.in_(list(kinds)))
    query = query.where(EVENT.c.config_id == config_id) if config_id is not None \
        else query.where(EVENT.c.config_id.is_(None))
    found = [event_json(row) for row in connection.execute(query.order_by(EVENT.c.number))]
    if config_id is None:
        found = [e for e in found if e["details"].get("establishment") == establishment]
    return found


def closings_of_config(connection, config_id):
    """A config's closings and its establishment's, in journal order."""
    config = connection.execute(select(PosConfig.name, PosConfig.shop_name)
                                .where(PosConfig.id == config_id)).one()
    mine = closings(connection, config_id)
    shop = closings(connection, None, establishment=config.shop_name or config.name)
    return sorted(mine + shop, key=lambda event: event["number"])


def _last(connection, config_id, kind, establishment=None):
    found = closings(connection, config_id, (kind,), establishment)
    return found[-1] if found else None


# -- making them -------------------------------------------------------------------------------

def run_closings(connection, now, zone, hour):
    """Make every daily, monthly and yearly closing due at `now` (UTC datetime), per config
    then per establishment; return the events made (dicts as the journal gives them)."""
    today = business_day(now, zone, hour)
    made = []
    configs = connection.execute(select(PosConfig.id, PosConfig.name, PosConfig.shop_name)
                                 .order_by(PosConfig.id)).all()
    for config in configs:
        made += _close_days(connection, config.id, today, zone, hour)
        made += _close_months_and_years(connection, config.id, None, today)
    establishments = {}
    for config in configs:
        establishments.setdefault(config.shop_name or config.name, []).append(config.id)
    for name, members in sorted(establishments.items()):
        made += _close_establishment(connection, name, members, today)
    return made


def _close_days(connection, config_id, today, zone, hour):
    made = []
    last = _last(connection, config_id, DAILY)
    after = last["details"]["last_number"] if last else 0
    perpetual = Decimal(last["details"]["perpetual_total"]) if last else Decimal("0.00")
    while True:
        first = connection.execute(
            select(ENTRY.c.number, ENTRY.c.sealed_at)
            .where(ENTRY.c.config_id == config_id, ENTRY.c.number > after)
            .order_by(ENTRY.c.number).limit(1)).first()
        if first is None:
            break
        day = business_day(first.sealed_at, zone, hour)
        if last is not None:
            day = max(day, date.fromisoformat(last["details"]["period"]) + timedelta(days=1))
        if day >= today:
            break
        start, end = day_bounds(day, zone, hour)
        last_number = connection.scalar(select(func.max(ENTRY.c.number)).where(
            ENTRY.c.config_id == config_id, ENTRY.c.number > after,
            ENTRY.c.sealed_at < _stored_time(connection, end)))
        if last_number is None:  # sealed later than the day after its number's (clock moved)
            last_number = first.number
        sealed = select(ENTRY.c.uuid).where(
            ENTRY.c.config_id == config_id, ENTRY.c.kind == "order",
            ENTRY.c.number > after, ENTRY.c.number <= last_number)
        figures = orders_figures(connection, Order.uuid.in_(sealed))
        figures["by_cashier"] = cashier_figures(connection, Order.uuid.in_(sealed))
        perpetual += Decimal(figures["period_total"])
        details = {"period": day.isoformat(), "from": utc_text(start), "to": utc_text(end),
                   "time_zone": zone.key, "closing_hour": hour,
                   "first_number": after + 1, "last_number": last_number, **figures,
                   "perpetual_total": f"{perpetual:.2f}",
                   "duplicate_count": _duplicates(connection, config_id, start, end)}
        record_event(connection, DAILY, config_id, **details)
        last = _last(connection, config_id, DAILY)
        made.append(last)
        after = last_number
    return made


def _close_months_and_years(connection, config_id, establishment, today):
    """Monthly closings from the dailies of months that ended before `today`'s month, then
    yearly ones from the monthlies of years that ended."""
    made = []
    for smaller, kind, length in ((DAILY, MONTHLY, 7), (MONTHLY, YEARLY, 4)):
        for period, members in _periods_to_close(connection, config_id, establishment, smaller,
                                                 kind, today.isoformat()[:length]):
            record_event(connection, kind, config_id,
                         **_added_closing(period, members, establishment))
            made.append(_last(connection, config_id, kind, establishment))
    return made


def _periods_to_close(connection, config_id, establishment, smaller, kind, current):
    """(period, its closings of kind `smaller`) of each period of `kind` not closed yet that
    ended before the `current` one (periods as text of `current`'s length), in order."""
    length = len(current)
    done = {e["details"]["period"] for e in closings(connection, config_id, (kind,),
                                                      establishment)}
    parts = {}
    for closing in closings(connection, config_id, (smaller,), establishment):
        parts.setdefault(closing["details"]["period"][:length], []).append(closing)
    return [(period, members) for period, members in sorted(parts.items())
            if period not in done and period < current]


def _added_closing(period, members, establishment):
    """The details of a month's or year's closing: its `members` (the closings it adds up)."""
    details = {"period": period, "parts": [m["number"] for m in members],
               "first_number": members[0]["details"].get("first_number"),
               "last_number": members[-1]["details"].get("last_number"),
               **added_figures([m["details"] for m in members]),
               "perpetual_total": members[-1]["details"]["perpetual_total"],
               "duplicate_count": sum(m["details"]["duplicate_count"] for m in members)}
    if establishment is not None:
        details = {**details, "establishment": establishment,
                   "configs": members[-1]["details"]["configs"]}
    return details


def _close_establishment(connection, name, members, today):
    """An establishment's daily closings add up its configs' dailies of each day (all made by
    then: a day is closed for every config in the same run), then its months and years."""
    made = []
    done = {e["details"]["period"] for e in closings(connection, None, (DAILY,), name)}
    last = _last(connection, None, DAILY, name)
    perpetual = {int(k): Decimal(v) for k, v in
                 (last["details"]["perpetuals"].items() if last else ())}
    for day, dailies in _members_dailies(connection, members):
        for daily in dailies:
            perpetual[daily["config_id"]] = Decimal(daily["details"]["perpetual_total"])
        if day in done:
            continue
        record_event(connection, DAILY, None,
                     **_establishment_day(day, name, members, dailies, perpetual))
        made.append(_last(connection, None, DAILY, name))
    return made + _close_months_and_years(connection, None, name, today)


def _members_dailies(connection, members):
    """(day, the dailies of the configs `members` that day), by day."""
    by_day = {}
    for config_id in members:
        for closing in closings(connection, config_id, (DAILY,)):
            by_day.setdefault(closing["details"]["period"], []).append(closing)
    return sorted(by_day.items())


def _establishment_day(day, name, members, dailies, perpetual):
    """The details of an establishment's daily closing; `perpetual`: each config's perpetual
    grand total so far."""
    return {"period": day, "establishment": name, "configs": sorted(members),
            "parts": [d["number"] for d in dailies],
            **added_figures([d["details"] for d in dailies]),
            "perpetual_total": f"{sum(perpetual.values(), Decimal('0.00')):.2f}",
            "perpetuals": {str(k): f"{v:.2f}" for k, v in sorted(perpetual.items())},
            "duplicate_count": sum(d["details"]["duplicate_count"] for d in dailies)}


def _duplicates(connection, config_id, start, end):
    return connection.scalar(select(func.count()).select_from(EVENT).where(
        EVENT.c.chain == LOCAL, EVENT.c.kind == DUPLICATE, EVENT.c.config_id == config_id,
        EVENT.c.at >= _stored_time(connection, start), EVENT.c.at < _stored_time(connection, end)))


def _stored_time(connection, moment):
    """A UTC time as the database compares it (SQLite keeps naive UTC)."""
    if connection.dialect.name == "sqlite":
        return moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def run_due_closings(connection, parameters, now=None):
    """`run_closings` at `now` (default: the current time) with the closing hour and time zone
    of the system parameters; what `core pos closings run` and an autonomous till's
    synchroniser call."""
    zone, hour = settings(parameters)
    return run_closings(connection, now or datetime.now(timezone.utc), zone, hour)
