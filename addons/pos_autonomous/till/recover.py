"""Recovering a till whose database went back (#24 item 4; `core autonomous recover`, *Recover*
on the till's admin page; docs/ledger.md). Such a till refuses to sell (`database_behind`): its
database ends before the highest ticket its high-water mark (high_water.py) or the central
instance says was issued. For each config the till serves:

1. its tickets the central instance holds and this database lost are taken back, page by page,
   and stored as they were sealed (point_of_sale.receive_sealed_entries: each only if the rows
   made from its record give its link, each following the one before), with the skips of
   earlier recoveries;
2. the tickets this database holds and the central instance has not acknowledged yet go up
   first (the synchroniser's push);
3. the numbers issued here that no copy holds any more (sold after the last push, lost to the
   restore: their printed receipts are the only trace) are journaled as the lost range
   (`ledger_lost_range`: numbers, the last one's short link) and skipped on both sides
   (point_of_sale.skip_numbers, from the last lost ticket's link as the high-water mark kept
   it; the central instance raises a `lost_range` alarm), so numbering goes on after the
   highest number ever issued and never gives one again;
4. the chain is checked from ticket 1, the push state and the mark follow the head, and the
   recovery is journaled (`ledger_recovered`); the till sells again.

Each step is idempotent: a recovery interrupted (the network, a kill) is run again.
"""
from dataclasses import dataclass, field

from sqlalchemy import select

import addons.point_of_sale as point_of_sale

from .. import role, settings
from ..wire import RECOVER, RECOVER_SKIP
from . import high_water
from .client import CentralClient, SyncError
from .models import PushState

PAGE = 200  # entries taken back per request


class RecoverError(Exception):
    """Why a recovery cannot go on, in words a person can act on."""


@dataclass
class Recovered:
    """What a recovery did for one config."""
    config_id: int
    taken_back: tuple | None = None  # (first, last) numbers stored again from the central
    lost: tuple | None = None  # (first, last) numbers skipped: issued here, held nowhere
    head: int = 0
    progress: list = field(default_factory=list)

    def words(self):
        taken = (f"took back tickets {self.taken_back[0]} to {self.taken_back[1]} from the "
                 "central instance" if self.taken_back else "nothing to take back")
        lost = (f"; tickets {self.lost[0]} to {self.lost[1]} were lost (journaled; their "
                "numbers are never given again)" if self.lost else "")
        return (f"config {self.config_id}: {taken}{lost}; the chain is intact up to ticket "
                f"{self.head} and the till sells again from ticket {self.head + 1}")


def recover(instance, say=lambda line: None, config_ids=None):
    """Recover each config the till serves (a shop serves several; or `config_ids`); return
    [Recovered]. Raises RecoverError (or SyncError: the central instance cannot be reached or
    refused)."""
    with instance.engine.connect() as connection:
        link = role.link(connection)
        if link is None:
            raise RecoverError("this database is not an autonomous till: there is nothing to "
                               "recover here")
        timeout = settings.read(instance, connection,
                                instance.plugin_manager())[settings.REQUEST_TIMEOUT_MS] / 1000
        pushers = role.pushers(connection)
    unknown = set(config_ids or ()) - {pusher.config_id for pusher in pushers}
    if unknown:
        raise RecoverError(f"this till does not serve config(s) "
                           f"{', '.join(map(str, sorted(unknown)))}")
    return [_recover_config(instance, CentralClient(link.server_url, pusher.token, timeout),
                            pusher, say)
            for pusher in pushers if not config_ids or pusher.config_id in config_ids]


def _recover_config(instance, client, pusher, say):
    """One config's recovery, as its till on the central instance (`client` holds its token)."""
    config_id = pusher.config_id
    done = Recovered(config_id)

    def tell(line):
        done.progress.append(line)
        say(line)
    try:
        acknowledged, serial = _take_back(instance.engine, client, config_id, done, tell)
        head = _head(instance.engine, config_id)[0]
        if head > acknowledged:
            tell(f"config {config_id}: tickets {acknowledged + 1} to {head} have not reached "
                 "the central instance: pushing them first")
            _push_first(instance, tell)
            acknowledged, serial = _take_back(instance.engine, client, config_id, done, tell)
        _skip_lost_numbers(instance.engine, client, config_id, acknowledged, done, tell)
        done.head = _finish(instance.engine, pusher, serial, done)
    finally:
        client.close()
    tell(done.words())
    return done


def _head(engine, config_id):
    with engine.connect() as connection:
        return point_of_sale.ledger_head(connection, config_id)


def _take_back(engine, client, config_id, done, tell):
    """Store again, page by page, what the central instance holds after this database's head;
    return (the central's head, the highest push serial it saw from this till)."""
    while True:
        after = _head(engine, config_id)[0]
        answer = client.post(RECOVER, {"config_id": config_id, "after": after, "limit": PAGE})
        entries = answer["entries"]
        with engine.begin() as connection:
            _store_page(connection, config_id, entries, answer["skips"])
        acknowledged = answer["acknowledged"]["number"]
        if entries:
            first = done.taken_back[0] if done.taken_back else entries[0]["number"]
            done.taken_back = (first, entries[-1]["number"])
            tell(f"config {config_id}: took back tickets {entries[0]['number']} to "
                 f"{entries[-1]['number']} of {acknowledged}")
        if not answer["more"]:
            return acknowledged, answer["serial"]


def _store_page(connection, config_id, entries, skips):
    """Store the entries of a page as they were sealed, stepping over the skips the central
    instance knows of (earlier recoveries) where the chain does."""
    skips = {skip["after"]: (skip["upto"], skip["link"]) for skip in skips}
    for entry in entries:
        _step_over_skips(connection, config_id, entry["number"], skips)
        [result] = point_of_sale.receive_sealed_entries(connection, config_id, [entry])
        if result["status"] not in ("stored", "duplicate"):
            raise RecoverError(
                f"ticket {entry['number']} of config {config_id}, as the central instance holds "
                f"it, cannot be stored here ({result['status']}: {result['reason']}): this "
                "database's chain and the central's differ before it. Nothing was changed by "
                "this page; see the central's alarms (docs/ledger.md)")
    if entries:
        _step_over_skips(connection, config_id, None, skips)


def _step_over_skips(connection, config_id, number, skips):
    """Apply the skips that start at this database's head (before ticket `number`, or all that
    follow the last ticket when `number` is None)."""
    head = point_of_sale.ledger_head(connection, config_id)[0]
    while head in skips and (number is None or number > head + 1):
        upto, link = skips[head]
        point_of_sale.skip_numbers(connection, config_id, head, upto, link,
                                   "taken back from the central instance")
        head = upto


def _push_first(instance, tell):
    """The synchroniser's push (the entries not acknowledged yet go up), as a pass does."""
    from .synchroniser import Synchroniser
    from .upload import upload
    synchroniser = Synchroniser(instance, say=tell)
    try:
        uploaded = upload(synchroniser)
    finally:
        synchroniser.client.close()
    if uploaded.refusal:
        raise RecoverError(f"the central instance refused this till's tickets: "
                           f"{uploaded.refusal}")


def _skip_lost_numbers(engine, client, config_id, acknowledged, done, tell):
    """Journal and skip the numbers issued here that no copy holds (after the central's head,
    up to the high-water mark)."""
    with engine.connect() as connection:
        head, _link = point_of_sale.ledger_head(connection, config_id)
        mark = high_water.read(connection, config_id)
    highest = max(acknowledged, mark["number"] if mark else 0)
    if highest <= head:
        return
    if mark is None or mark["number"] != highest or not mark.get("link"):
        raise RecoverError(f"the central instance holds tickets of config {config_id} up to "
                           f"{acknowledged} but gave back only up to {head}: recover again "
                           "later, or see the central's alarms")
    tell(f"config {config_id}: tickets {head + 1} to {highest} were issued here and lost "
         f"(the last one's short link {point_of_sale.short_link(mark['link'])}): skipping "
         "their numbers on both sides")
    client.post(RECOVER_SKIP, {"config_id": config_id, "after": head, "upto": highest,
                               "link": mark["link"]})
    with engine.begin() as connection:
        high_water.journal_lost_range(connection, config_id,
                                      {"head": head, "mark": highest, "link": mark["link"]})
        point_of_sale.skip_numbers(connection, config_id, head, highest, mark["link"],
                                   f"core autonomous recover: tickets {head + 1} to {highest} "
                                   "lost to a restore of this database")
    done.lost = (head + 1, highest)


def _finish(engine, pusher, serial, done):
    """Check the chain from ticket 1, move the push state and the mark to the head, journal
    the recovery; return the head's number."""
    config_id = pusher.config_id
    with engine.begin() as connection:
        check = point_of_sale.verify_from_checkpoint(connection, config_id, full=True)
        if not check.ok:
            raise RecoverError(f"config {config_id}: after the recovery the chain does not "
                               f"verify: {check.reason}")
        head = point_of_sale.ledger_head(connection, config_id)[0]
        _move_push_state(connection, pusher.state_id, head, serial)
        high_water.record(connection, config_id)
        point_of_sale.record_event(
            connection, "ledger_recovered", config_id, head=head,
            taken_back=list(done.taken_back) if done.taken_back else None,
            lost=list(done.lost) if done.lost else None)
    return head


def _move_push_state(connection, state_id, head, serial):
    """The central instance holds the config's chain up to `head` and saw its push `serial`."""
    table = PushState.__table__
    row = connection.execute(select(PushState).where(PushState.id == state_id)).first()
    values = {"last_acknowledged": head, "serial": max(serial, row.serial if row else 0)}
    if row is None:
        connection.execute(table.insert().values(id=state_id, **values))
    else:
        connection.execute(table.update().where(table.c.id == state_id).values(**values))


__all__ = ["recover", "Recovered", "RecoverError", "SyncError"]
