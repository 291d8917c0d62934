"""The till's side of the push (README, "Up"): its sealed ledger entries after the last
acknowledged number, in chain order, in batches, with the sessions whose state the central
instance has not acknowledged yet, the technical events journal and the till's own check of its
chain. Reading what to send and recording what was acknowledged are here; sending is the
synchroniser's (it alone holds the HTTP client).

A batch: {"till", "serial", "sent_at", "first", "last", "head": {"number", "link"},
"links": [[number, link], ...] (acknowledged tickets, see point_of_sale.anchor_numbers),
"entries": [...], "sessions": [...], "events": [...], "journal": [...] (this instance's chained
journal of technical events after the last one acknowledged, point_of_sale.journal_events' wire
form), "chain": {"ok", "checked", "first_broken", "reason"}}. `serial` counts the pushes that
got an answer: the central instance answers the highest serial it saw, so a till whose database
went back (a restore) learns it.
"""
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import select

import addons.point_of_sale as point_of_sale
from core.models import utc_now
from core.times import utc_iso

from .. import role
from ..wire import ACKNOWLEDGED, MAX_ENTRIES, REFUSALS
from . import high_water, journal, outbox
from .models import PushState, SessionSent

EVENTS_PER_BATCH = 200
JOURNAL_PER_BATCH = 200
SESSIONS_PER_BATCH = 50
COUNT_KINDS_UP_TO = 500


@dataclass
class Outcome:
    """What one answered batch did: entries acknowledged, the first refusal in words (None when
    none), and whether the till should send again at once (the central instance is behind)."""
    acknowledged: int
    refusal: str | None
    again: bool
    progressed: bool = True  # something of the batch was acknowledged
    probe: tuple | None = None  # the central asks for this till's links in (after, upto]


LINK_STATE = 1  # the push state of the link's config (role.LINK_STATE); a shop's other
# configs each have theirs (role.pushers)


def nothing_pushed(state_id=LINK_STATE):
    return SimpleNamespace(id=state_id, last_acknowledged=0, serial=0, events_acknowledged=0,
                           journal_acknowledged=0, last_push_at=None, last_refusal="")


def state(connection, state_id=LINK_STATE):
    """A config's push state (its defaults before the first push)."""
    return connection.execute(select(PushState).where(PushState.id == state_id)).first() \
        or nothing_pushed(state_id)


def unsent_sessions(connection, config_id, limit=SESSIONS_PER_BATCH):
    """The till's sessions whose current state the central instance has not acknowledged."""
    session = point_of_sale.PosSession
    rows = connection.execute(
        select(session).outerjoin(SessionSent, SessionSent.session_id == session.id)
        .where(session.config_id == config_id)
        .where((SessionSent.state.is_(None)) | (SessionSent.state != session.state))
        .order_by(session.id).limit(limit))
    return [{"id": row.id, "name": row.name, "state": row.state,
             "opened_at": utc_iso(row.opened_at), "closed_at": utc_iso(row.closed_at)} for row in rows]


def chain_check(connection, config_id, full=True):
    """The till's own check of its chain: with `full`, every ticket (an entry edited, deleted or
    reordered in its database since it was sealed shows here even when it was acknowledged long
    ago); else from its verified checkpoint (the checkpoint's ticket and what was sealed since:
    a pass does not read the whole chain). Call it in a transaction (it moves the checkpoint)."""
    check = point_of_sale.verify_from_checkpoint(connection, config_id, full)
    return {"ok": bool(check.ok), "checked": check.checked, "first_broken": check.first_broken,
            "reason": check.reason or ""}


def build_batch(connection, till_id, config_id, batch_size, chain, probe=None,
                state_id=LINK_STATE):
    """The next batch to send (possibly without entries: sessions, events, the chain check and
    the head with links of acknowledged tickets still go up, at every pass). `probe` (after,
    upto): the central instance asks for this till's links in that range (a ticket differs).
    The instance's events and journal go with the link's config (`state_id` 1) only: a shop's
    other configs send their chain and sessions."""
    row = state(connection, state_id)
    instance_wide = state_id == LINK_STATE
    entries = point_of_sale.ledger_entries(connection, config_id, row.last_acknowledged,
                                           min(batch_size, MAX_ENTRIES))
    number, link = point_of_sale.ledger_head(connection, config_id)
    numbers = (point_of_sale.sample_numbers(*probe) if probe else
               point_of_sale.anchor_numbers(min(row.last_acknowledged, number), number))
    links = point_of_sale.ledger_links(connection, config_id, numbers)
    return {
        "till": till_id, "serial": row.serial + 1, "sent_at": utc_iso(utc_now()),
        "first": entries[0]["number"] if entries else None,
        "last": entries[-1]["number"] if entries else None,
        "head": {"number": number, "link": link},
        "links": [[n, links[n]] for n in sorted(links)],
        "entries": entries,
        "sessions": unsent_sessions(connection, config_id),
        "events": journal.events_after(connection, row.events_acknowledged, EVENTS_PER_BATCH)
        if instance_wide else [],
        "journal": point_of_sale.journal_events(connection, after=row.journal_acknowledged,
                                                limit=JOURNAL_PER_BATCH)
        if instance_wide else [],
        "chain": chain,
    }


def is_empty(batch):
    """Nothing to send: every entry acknowledged, no session or event waiting, and no broken
    chain to report (the pull tells the central instance the till is alive)."""
    broken_chain = batch["chain"] is not None and not batch["chain"]["ok"]
    return not (batch["entries"] or batch["sessions"] or batch["events"]
                or batch.get("journal") or broken_chain)


def record_answer(connection, batch, answer, state_id=LINK_STATE, config_id=None):
    """Record what the central instance acknowledged for `batch` of `config_id`'s chain (the
    link's config by default) in push state `state_id` (its config's), in `connection`'s
    transaction; return an Outcome."""
    row = state(connection, state_id)
    acknowledged = [ack for ack in answer.get("acks", []) if ack.get("status") in ACKNOWLEDGED]
    last = max([row.last_acknowledged] + [ack["number"] for ack in acknowledged])
    refused = next((ack for ack in answer.get("acks", []) if ack.get("status") in REFUSALS),
                   None)
    central_head = answer.get("acknowledged", last)
    last, again, refusal = _after_refusal(connection, row, refused, central_head, last)
    _note_restores(connection, batch, answer, central_head, config_id)
    _save_state(connection, state_id, row, batch, answer, last, refusal)
    sessions_saved = _save_sessions_sent(connection, batch, answer)
    progressed = bool(acknowledged) or sessions_saved or _journals_moved(row, answer)
    probe = answer.get("probe")
    return Outcome(len(acknowledged), refusal, again, progressed,
                   (probe["after"], probe["upto"]) if isinstance(probe, dict) else None)


def _save_state(connection, state_id, row, batch, answer, last, refusal):
    """The push state after an answer: last acknowledged, serial, what of the journals the
    central instance holds, the last push and refusal."""
    values = dict(
        last_acknowledged=last, serial=max(batch["serial"], answer.get("serial", batch["serial"])),
        events_acknowledged=max(row.events_acknowledged, answer.get("events_acknowledged", 0)),
        # the centre's head of this till's journal: below what it acknowledged once (its
        # database went back), the till sends again from there
        journal_acknowledged=answer.get("journal_acknowledged", row.journal_acknowledged),
        last_push_at=utc_now(), last_refusal=refusal or "")
    table = PushState.__table__
    if not connection.execute(table.update().where(table.c.id == state_id)
                              .values(**values)).rowcount:
        connection.execute(table.insert().values(id=state_id, **values))


def _journals_moved(row, answer):
    return (answer.get("events_acknowledged", 0) > row.events_acknowledged
            or answer.get("journal_acknowledged", 0) > row.journal_acknowledged)


def _after_refusal(connection, row, refused, central_head, last):
    """(last acknowledged, send again at once, the refusal in words or None)."""
    if refused is None:
        return last, False, None
    if refused["status"] == "gap" and central_head < row.last_acknowledged:
        # The central instance holds fewer of this till's entries than it acknowledged once
        # (its database went back): send again from where it stands.
        journal.record(connection, journal.RESTORE,
                       f"the central instance acknowledges up to number {central_head}, this "
                       f"till had {row.last_acknowledged} acknowledged: sending again from "
                       f"{central_head + 1}")
        return central_head, True, None
    return last, False, (f"the central instance refused entry {refused['number']} "
                         f"({refused['status']}): {_WORDS[refused['status']]}"
                         + (f" ({refused['reason']})" if refused.get("reason") else ""))


def _note_restores(connection, batch, answer, central_head, config_id=None):
    """Journal what says this till's database went back (a restore from an older copy); the
    high-water mark follows what the central instance holds (so the till sells no more until
    it is recovered)."""
    head_number = batch["head"]["number"]
    if central_head > head_number:
        high_water.raise_to(connection, config_id or role.link(connection).config_id,
                            central_head)
        journal.record(connection, journal.RESTORE,
                       f"the central instance holds {central_head} entries of this till's "
                       f"chain but this database only {head_number}: it was restored from an "
                       "older copy")
    if answer.get("serial", 0) > batch["serial"]:
        journal.record(connection, journal.RESTORE,
                       f"the central instance saw push {answer['serial']} from this till, this "
                       f"database only knew {batch['serial'] - 1}: it was restored from an "
                       "older copy")


def _save_sessions_sent(connection, batch, answer):
    """Record the session states the central instance acknowledged; whether there were any."""
    states = {session["id"]: session["state"] for session in batch["sessions"]}
    saved = [session_id for session_id in answer.get("sessions", []) if session_id in states]
    for session_id in saved:
        _save_session_sent(connection, session_id, states[session_id])
    return bool(saved)


_WORDS = {
    "gap": "numbers are missing before it; they are sent again",
    "broken": "it does not link to the chain (edited, deleted or reordered on this till?)",
    "conflict": "the central instance holds that number or ticket with another content",
    "invalid": "the central instance cannot store it",
}


def _save_session_sent(connection, session_id, session_state):
    table = SessionSent.__table__
    done = connection.execute(table.update().where(table.c.session_id == session_id)
                              .values(state=session_state))
    if not done.rowcount:
        connection.execute(table.insert().values(session_id=session_id, state=session_state))


def waiting(connection, config_id, state_id=LINK_STATE):
    """{"tickets", "closings"}: the entries sealed here the central instance has not
    acknowledged yet, and the last acknowledged number."""
    row = state(connection, state_id)
    head = point_of_sale.ledger_head(connection, config_id)[0] if has_ledger() else 0
    pending = max(head - row.last_acknowledged, 0)
    closings = None  # split by kind only when few wait (each entry is recomputed to read it)
    if pending == 0:
        closings = 0
    elif pending <= COUNT_KINDS_UP_TO:
        closings = sum(1 for entry in point_of_sale.ledger_entries(
            connection, config_id, row.last_acknowledged, pending) if entry["kind"] != "order")
    return {"entries": pending, "tickets": None if closings is None else pending - closings,
            "closings": closings,
            "last_acknowledged": row.last_acknowledged,
            "last_push_at": utc_iso(row.last_push_at), "last_refusal": row.last_refusal or None}


def has_ledger():
    return hasattr(point_of_sale, "ledger_entries")


def up_status(connection, config_id, state_id=LINK_STATE):
    """What waits to go up and what came of the last push, for `status`, the till's admin and
    the POS page's indicator (the events and journal: the instance's, whichever config)."""
    return {**waiting(connection, config_id, state_id), **outbox.waiting(connection),
            "events_waiting": journal.count_after(connection,
                                                  state(connection).events_acknowledged),
            "journal_waiting": max(point_of_sale.journal_head(connection)[0]
                                   - state(connection).journal_acknowledged, 0)}
