"""The central side of a push (README, "Up"): one batch from one till, in one transaction.

1. The till's push row is locked, so two copies of a batch (a retry racing the original) are
   handled one after the other.
2. The till's sessions are stored as that till's sessions: a POS session of its config on the
   central instance, same name, state and times, mapped from the till's session id.
3. The entries go to point_of_sale's `receive_sealed_entries`, which stores each exactly once
   and answers per entry (stored, duplicate, gap, broken, conflict, invalid, not_applied); the
   session an entry names is looked up among that till's sessions (`till_session`), never
   among the central's own sessions of the same name.
4. A refusal raises an alarm (the same one raised again counts up), and so does a chain the
   till found broken itself or a restore in its journal; a gap alarm closes when the numbers
   arrive.
5. The technical events are kept (a restore or a clock change the till journaled is an alarm);
   the till's chained journal of technical events (point_of_sale's journal of its instance) is
   kept as sealed, each event checked against the one before it (an event that does not link
   is an alarm naming it); the push is written in the acknowledgement journal.
"""
from datetime import datetime

from sqlalchemy import func, select

import addons.point_of_sale as point_of_sale
from core.db import insert_or_ignore, is_transient
from core.models import utc_now

from ..wire import ACKNOWLEDGED, BROKEN, DUPLICATE, GAP, INVALID, REFUSALS, STORED
from .models import (
    Acknowledgement,
    Alarm,
    Till,
    TillEvent,
    TillJournalEvent,
    TillPush,
    TillSession,
)

TILL_CHAIN, RESTORE, SESSION = "till_chain", "restore", "session"  # alarms beside the refusals
CLOCK_CHANGE = "clock_change"  # the till's wall clock jumped (its journal says by how much)
TILL_JOURNAL = "till_journal"  # an event of the till's chained journal does not link
QUARANTINED = "quarantined"  # a ticket that breaks a rule of POST /pos/orders (order_rules.py)
DIFFERS, HEAD_BACK = "differs", "head_back"  # what the head and links of a pass show
STATES = (point_of_sale.OPENING_CONTROL, point_of_sale.OPENED, point_of_sale.CLOSING_CONTROL,
          point_of_sale.CLOSED)  # in the order a session goes through them


def receive_push(connection, till, batch):
    """Apply one checked batch (routes.parse_push) from `till`; return the answer."""
    push_row = _lock_push_row(connection, till.id)
    stored_sessions, session_refusal = store_sessions(connection, till, batch["sessions"])
    results = point_of_sale.receive_sealed_entries(
        connection, till.config_id, batch["entries"],
        session_for=lambda connection, config_id, name: till_session(connection, till, name)
    ) if batch["entries"] else []
    head_number, _ = point_of_sale.ledger_head(connection, till.config_id)
    refused = next((r for r in results if r["status"] not in ACKNOWLEDGED), None)
    _raise_alarms(connection, till, batch, refused, session_refusal, head_number)
    for result in results:
        if result["status"] == "stored" and "quarantined" in result["reason"]:
            raise_alarm(connection, till, QUARANTINED, result["number"], result["number"],
                        f"till {till.name} (id {till.id}): {result['reason']}; its effects "
                        "count nowhere (refund balances, reports, closings)")
    probe = anchor_heads(connection, till, batch, push_row.last_acknowledged)
    events_acknowledged = store_events(connection, till, batch["events"])
    journal_acknowledged = store_journal(connection, till, batch.get("journal", []))
    resolve_gaps(connection, till.id, head_number)
    serial = max(push_row.serial, batch["serial"])
    connection.execute(TillPush.__table__.update().where(TillPush.till_id == till.id).values(
        last_acknowledged=head_number, serial=serial, last_push_at=utc_now()))
    _journal(connection, till, batch, results, refused, head_number)
    return {"acks": [{"number": r["number"], "uuid": r["uuid"], "status": r["status"],
                      "reason": r.get("reason", "")} for r in results],
            "acknowledged": head_number, "serial": serial,
            "events_acknowledged": events_acknowledged,
            "journal_acknowledged": journal_acknowledged, "sessions": sorted(stored_sessions),
            **({"probe": probe} if probe else {})}


def anchor_heads(connection, till, batch, acknowledged):
    """Compare the till's head and the links it sent of acknowledged tickets with the central's
    own entries (every pass, even without entries): a ticket that differs is an alarm naming the
    first one and whose copy changed; a head behind what was acknowledged is an alarm naming the
    first ticket gone. Return a probe {"after", "upto"} when the first differing ticket lies
    between two links sent (the till sends that range's links at once, same pass)."""
    links = list(batch["links"])
    if batch["head"]["number"]:
        links.append((batch["head"]["number"], batch["head"]["link"]))
    found = point_of_sale.compare_links(connection, till.config_id, links)
    if found is not None:
        agreeing, first = found
        compared = {number for number, _link in links}
        if not all(number in compared for number in range(agreeing + 1, first)):
            return {"after": agreeing, "upto": first}
        side, words = point_of_sale.whose_copy_changed(connection, till.config_id, first)
        where = "the central's database" if side == "local" else f"till {till.name}'s database"
        raise_alarm(connection, till, DIFFERS, first, None,
                    f"ticket {first} differs between till {till.name} and the central "
                    f"instance, changed in {where}: {words}")
    head = batch["head"]["number"]
    if head < acknowledged:
        raise_alarm(connection, till, HEAD_BACK, head + 1, acknowledged,
                    f"till {till.name}'s database ends at ticket {head} but the central "
                    f"instance acknowledged up to {acknowledged}: tickets {head + 1} to "
                    f"{acknowledged} are gone from the till's database (deleted, or restored "
                    "from an older copy); the central instance keeps them")
    return None


def _raise_alarms(connection, till, batch, refused, session_refusal, head_number):
    """An entry refused, a session that could not be stored, the till's own chain check
    failing: each an alarm."""
    if refused is not None and refused["status"] in REFUSALS:
        raise_alarm(connection, till, refused["status"], refused["number"], batch["last"],
                    _refusal_words(till, refused, batch, head_number))
    if session_refusal:
        raise_alarm(connection, till, SESSION, None, None, session_refusal)
    chain = batch["chain"]
    if chain is not None and not chain["ok"]:
        raise_alarm(connection, till, TILL_CHAIN, chain["first_broken"], None,
                    f"till {till.name}'s own check of its chain fails at entry "
                    f"{chain['first_broken']}: {chain['reason'] or 'no reason given'}")


def _journal(connection, till, batch, results, refused, head_number):
    """The push's row in the acknowledgement journal."""
    connection.execute(Acknowledgement.__table__.insert().values(
        till_id=till.id, config_id=till.config_id, received_at=utc_now(),
        serial=batch["serial"], first_number=batch["first"], last_number=batch["last"],
        head_number=batch["head"]["number"], head_link=batch["head"]["link"],
        stored=sum(1 for r in results if r["status"] == STORED),
        duplicates=sum(1 for r in results if r["status"] == DUPLICATE),
        refused_number=refused["number"] if refused else None,
        refused_status=refused["status"] if refused else "", acknowledged=head_number))


def till_session(connection, till, name):
    """The central session standing for the till's session `name` (sent in this batch or an
    earlier one); ValueError when the till has not sent it (the entry is then refused)."""
    found = connection.scalar(select(TillSession.session_id).where(
        TillSession.till_id == till.id, TillSession.name == name)
        .order_by(TillSession.till_session_id.desc()).limit(1))
    if found is None:
        raise ValueError(f"session {name!r} of till {till.name} has not reached the central "
                         "instance")
    return found


def _lock_push_row(connection, till_id):
    table = TillPush.__table__
    query = select(TillPush).where(TillPush.till_id == till_id)
    if connection.dialect.name == "postgresql":
        insert_or_ignore(connection, table, {"till_id": till_id, "last_acknowledged": 0,
                                             "serial": 0})
        return connection.execute(query.with_for_update()).first()
    row = connection.execute(query).first()  # SQLite: the write transaction is the lock
    if row is None:
        connection.execute(table.insert().values(till_id=till_id, last_acknowledged=0,
                                                 serial=0))
        row = connection.execute(query).first()
    return row


def _session_map(connection, till_id):
    return dict(connection.execute(select(TillSession.till_session_id, TillSession.session_id)
                                   .where(TillSession.till_id == till_id)).all())


def _moment(text):
    return datetime.fromisoformat(text) if text else None


def store_sessions(connection, till, sessions):
    """Create or update the central sessions standing for the till's; return (the till
    session ids now stored in their sent state, a refusal in words or None)."""
    known = _session_map(connection, till.id)
    table = point_of_sale.PosSession.__table__
    stored, refusal = set(), None
    for session in sessions:
        values = {"name": session["name"], "state": session["state"],
                  "opened_at": _moment(session["opened_at"]),
                  "closed_at": _moment(session["closed_at"])}
        savepoint = connection.begin_nested()
        try:
            if session["id"] in known:  # a state never goes back (a late, older batch)
                connection.execute(table.update().where(
                    table.c.id == known[session["id"]],
                    table.c.state.in_(STATES[:STATES.index(session["state"]) + 1]))
                    .values(**values))
            else:
                central_id = connection.execute(table.insert().values(
                    config_id=till.config_id, login_number=0, sequence_number=0, **values)
                ).inserted_primary_key[0]
                connection.execute(TillSession.__table__.insert().values(
                    till_id=till.id, till_session_id=session["id"], name=session["name"],
                    session_id=central_id))
            savepoint.commit()
        except Exception as error:  # noqa: BLE001 - said as an alarm, the others go on
            savepoint.rollback()
            if is_transient(error):
                raise
            refusal = (f"till {till.name}'s session {session['name']} ({session['state']}) "
                       f"could not be stored: another session of POS config {till.config_id} "
                       "is open on the central instance; close it there")
            continue
        stored.add(session["id"])
    return stored, refusal


def _refusal_words(till, refused, batch, head_number):
    number = refused["number"]
    if refused["status"] == GAP:
        return (f"till {till.name} sent entries {batch['first']} to {batch['last']} but the "
                f"central instance holds up to {head_number}: {head_number + 1} to {number - 1} "
                "are missing (the till sends them again; this alarm closes when they arrive)")
    reason = refused.get("reason") or ""
    if refused["status"] == BROKEN:
        return (f"entry {number} of till {till.name} does not link to the chain ({reason}): a "
                "ticket edited, deleted or reordered in the till's database")
    if refused["status"] == INVALID:
        return f"entry {number} of till {till.name} cannot be stored: {reason}"
    return (f"entry {number} of till {till.name} is stored here with another content "
            f"({reason}): a till database restored from an older copy, or two tills on one "
            "POS config")


def raise_alarm(connection, till, kind, first_number, last_number, message):
    table = Alarm.__table__
    now = utc_now()
    query = select(Alarm.id).where(Alarm.till_id == till.id, Alarm.kind == kind,
                                   Alarm.resolved_at.is_(None))
    query = query.where(Alarm.first_number.is_(None) if first_number is None
                        else Alarm.first_number == first_number)
    existing = connection.scalar(query.limit(1))
    if existing is not None:
        connection.execute(table.update().where(table.c.id == existing).values(
            occurrences=table.c.occurrences + 1, last_seen_at=now, message=message,
            last_number=last_number))
        return existing
    return connection.execute(table.insert().values(
        till_id=till.id, config_id=till.config_id, kind=kind, first_number=first_number,
        last_number=last_number, message=message, raised_at=now, last_seen_at=now,
        occurrences=1, resolution="")).inserted_primary_key[0]


def resolve_gaps(connection, till_id, head_number):
    """Gap alarms whose missing numbers (those before `first_number`) arrived are closed."""
    table = Alarm.__table__
    connection.execute(table.update().where(
        table.c.till_id == till_id, table.c.kind == GAP, table.c.resolved_at.is_(None),
        table.c.first_number <= head_number + 1).values(
        resolved_at=utc_now(), resolution="the missing entries arrived"))


def resolve(connection, alarm_id, resolution):
    table = Alarm.__table__
    return connection.execute(table.update().where(
        table.c.id == alarm_id, table.c.resolved_at.is_(None)).values(
        resolved_at=utc_now(), resolution=resolution)).rowcount


def store_events(connection, till, events):
    """Keep the till's events (once each); a restore in the journal raises an alarm. Return
    the highest event id held for the till."""
    known = set(connection.execute(select(TillEvent.event_id).where(
        TillEvent.till_id == till.id, TillEvent.event_id.in_([e["id"] for e in events])))
        .scalars()) if events else set()
    new = [e for e in events if e["id"] not in known]
    if new:
        connection.execute(TillEvent.__table__.insert(), [
            {"till_id": till.id, "event_id": e["id"], "at": _moment(e["at"]), "kind": e["kind"],
             "message": e["message"], "received_at": utc_now()} for e in new])
    for event in new:
        if event["kind"] in (RESTORE, CLOCK_CHANGE):
            raise_alarm(connection, till, event["kind"], None, None,
                        f"till {till.name} reports: {event['message']}")
    return connection.scalar(select(func.max(TillEvent.event_id)).where(
        TillEvent.till_id == till.id)) or 0


def journal_head_of(connection, till_id):
    """(number, link) of the last event of the till's chained journal held here."""
    row = connection.execute(select(TillJournalEvent.number, TillJournalEvent.link).where(
        TillJournalEvent.till_id == till_id).order_by(TillJournalEvent.number.desc())
        .limit(1)).first()
    return (row.number, row.link) if row else (0, point_of_sale.ZERO_LINK)


def store_journal(connection, till, events):
    """Keep the events of the till's chained journal that follow the last one held, as sealed
    (a re-sent event is stored once); each is checked against the one before it
    (point_of_sale.verify_events): the first that does not link raises an alarm naming it (it is
    kept all the same: the central holds what the till sent). Return the last number held."""
    number, link = journal_head_of(connection, till.id)
    rows = []
    for event in events:
        if event["number"] <= number:
            continue  # held already (a batch sent again)
        if event["number"] != number + 1:
            break  # a gap: the till sends again from what is acknowledged
        _checked, broken, reason, _last = point_of_sale.verify_events([event], link, number + 1)
        if broken is not None:
            raise_alarm(connection, till, TILL_JOURNAL, event["number"], None,
                        f"event {event['number']} ({event['kind']}) of till {till.name}'s "
                        f"journal does not link to its chain: {reason}")
        rows.append({"till_id": till.id, "number": event["number"],
                     "at": datetime.fromisoformat(event["at"].replace("Z", "+00:00")),
                     "kind": event["kind"], "config_id": event["config_id"],
                     "details": point_of_sale.canonical_details(event["details"]),
                     "previous_link": event["previous_link"], "link": event["link"],
                     "received_at": utc_now()})
        number, link = event["number"], event["link"]
    if rows:
        connection.execute(TillJournalEvent.__table__.insert(), rows)
        # The managers' approvals the till recorded go with its tickets here (point_of_sale).
        stored = {row["number"] for row in rows}
        point_of_sale.received_approvals(connection, till.config_id, [
            event for event in events if event["number"] in stored], till.name)
    return number


def till_journal(connection, till_id=None, after=0, limit=200, config_id=None):
    """The tills' journal events held here (point_of_sale's wire form plus `till_id`), oldest
    first; with `config_id`, those of the tills of that config."""
    table = TillJournalEvent.__table__
    query = select(table).where(table.c.number > after)
    if till_id is not None:
        query = query.where(table.c.till_id == till_id)
    if config_id is not None:
        query = query.where(table.c.till_id.in_(select(Till.id).where(
            Till.config_id == config_id)))
    rows = connection.execute(query.order_by(table.c.till_id, table.c.number).limit(limit))
    return [{"till_id": row.till_id, **point_of_sale.journal_event_json(row)} for row in rows]


# -- what the central admin and `status` show --------------------------------------------------

def open_alarms(connection, till_id=None):
    query = select(Alarm).where(Alarm.resolved_at.is_(None)).order_by(Alarm.id.desc())
    if till_id is not None:
        query = query.where(Alarm.till_id == till_id)
    return connection.execute(query).all()


def till_overview(connection):
    """Per till id: {last_acknowledged, last_push_at, open_alarms}."""
    pushes = {row.till_id: row for row in connection.execute(select(TillPush))}
    alarms = dict(connection.execute(select(Alarm.till_id, func.count()).where(
        Alarm.resolved_at.is_(None)).group_by(Alarm.till_id)).all())
    return {till_id: {"last_acknowledged": pushes[till_id].last_acknowledged
                      if till_id in pushes else 0,
                      "last_push_at": pushes[till_id].last_push_at if till_id in pushes
                      else None, "open_alarms": alarms.get(till_id, 0)}
            for till_id in set(pushes) | set(alarms)}


def recent_acknowledgements(connection, limit=20):
    return connection.execute(select(Acknowledgement).order_by(Acknowledgement.id.desc())
                              .limit(limit)).all()


def recent_journal(connection, limit=20):
    """The latest events of the tills' chained journals received (newest first)."""
    return connection.execute(select(TillJournalEvent).order_by(
        TillJournalEvent.received_at.desc(), TillJournalEvent.number.desc()).limit(limit)).all()


def recent_events(connection, limit=20):
    return connection.execute(select(TillEvent).order_by(TillEvent.received_at.desc(),
                                                         TillEvent.event_id.desc())
                              .limit(limit)).all()
