"""What /pos_multi_session_sync/update does with each action (the wire shapes are in
README.md). One update is one bus transaction: it takes the multi-session's lock first, so the
updates of one multi-session run one after the other whatever the number of worker
processes, and its bus messages commit with its changes, sent last. The updates that arrive
together share one commit: on SQLite every update of the process, each in its own savepoint
(pos_longpolling's `bus_transaction`); on PostgreSQL those of one multi-session in one worker
(combining.py)."""
from dataclasses import dataclass

from addons.pos_longpolling import NumberedCopies, bus_transaction, pos_channel

from . import store
from .combining import combiner_for
from .merge import merge_order
from .models import DELETED, DRAFT
from .store import MultiSessionKey, StoredOrder
from .validation import REMOVE_ORDER, SYNC_ALL, UPDATE_ORDER
from .wire import adopt_renamed_lines, order_message

CHANNEL = "pos.multi_session"
PAID_OFFLINE_NONCE = "paid offline"


@dataclass
class Run:
    """The multi-session as this update found it (after the run check), under its lock, and
    what the update changes there, written at its end with its messages' numbering
    (`deliver`: one statement on PostgreSQL)."""
    key: MultiSessionKey
    run_id: int
    order_counter: int  # the last order number given in this run
    read: object = store.NOT_READ  # the update's order as the lock read it (store.Locked)
    changed: StoredOrder | None = None  # the order to write
    counter_moved: bool = False

    def stored_order(self, connection, uid):
        """The stored order `uid` (None if there is none): as the lock read it, or read now."""
        if self.read is store.NOT_READ:
            return store.load_order(connection, self.key, uid)
        return self.read

    def write(self, connection, counting=None):
        """store.write() of what the update changed (nothing more afterwards)."""
        changed, self.changed = self.changed, None
        moved, self.counter_moved = self.counter_moved, False
        return store.write(connection, self.key, changed,
                           self.order_counter if moved else None, counting)


@dataclass(frozen=True)
class Outgoing:
    """A bus message to send to one till (`pos_id`) or to every till of the multi-session
    (None); each till's copy gets that till's next `message_ID` in its `data`."""
    message: dict
    pos_id: int | None = None


class RunJump(ValueError):
    """A till asked for a run further ahead than it may move the multi-session."""


def handle_update(engine, update, run_limit=None):
    """Apply one checked `validation.Update`; return the reply. `run_limit` is the furthest
    run the caller may start (the run its main instance signed in its token); None: one run
    after the stored one, so that no till can end everybody's run with a huge `run_ID`."""
    key = MultiSessionKey(update.dbname, update.multi_session_id)
    if engine.dialect.name == "postgresql":
        return combiner_for(engine).run(key, lambda bus: apply_update(bus, key, update,
                                                                      run_limit),
                                        refusals=(RunJump,))
    with bus_transaction(engine) as bus:
        return apply_update(bus, key, update, run_limit)


def apply_update(bus, key, update, run_limit):
    """handle_update's work in the transaction `bus`, from the multi-session's lock on."""
    connection = bus.connection
    locked = store.lock_multi_session(connection, key, update.pos_id,
                                      update.data["uid"] if update.action in READS_ORDER
                                      else None)
    if update.run_id < locked.run_id:
        # A till of a run that has ended: it must reload; nothing it sent is applied.
        return {"action": "outdated_run", "run_ID": locked.run_id}
    limit = locked.run_id + 1 if run_limit is None else run_limit
    if update.run_id > max(limit, locked.run_id):
        raise RunJump(f"run_ID {update.run_id} is ahead of the run this till may start "
                      f"({max(limit, locked.run_id)}; the multi-session is on run "
                      f"{locked.run_id}): reload the till")
    run = Run(key, locked.run_id, locked.order_id, locked.order)
    if update.run_id > locked.run_id:
        store.prepare_new_session(connection, key, update.run_id)
        run = Run(key, update.run_id, 0)  # the order read may have become unpaid
    store.register_pos(connection, key, update.pos_id, update.user_id,
                       refresh_user=update.action == SYNC_ALL,
                       known=(locked.pos_row is not None, locked.pos_user_id))
    action = ACTIONS.get(update.action, relay)
    reply, outgoing = action(connection, run, update)
    deliver(bus, run, outgoing)
    return reply


def deliver(bus, run, outgoing):
    """Write what the update changed with the numbering of its first message, number every
    till's copy of each message, then send them all (each message is encoded once; the
    copies differ only by the number spliced in)."""
    addressed = []
    for item in outgoing:
        copies = NumberedCopies(item.message, "data", "message_ID")
        counting = store.EVERY_TILL if item.pos_id is None else item.pos_id
        for pos_id, message_id in run.write(bus.connection, counting):
            addressed.append((pos_channel(run.key.dbname, CHANNEL, pos_id),
                              copies.text(message_id)))
    run.write(bus.connection)  # when there was no message
    for channel, text in addressed:
        bus.send_encoded(channel, text)


def to_every_till(update, action, data, as_sender=True):
    """`as_sender=False`: from no session, so that the sender takes it for another till's."""
    return Outgoing({"action": action, "data": data,
                     "session_id": update.session_id if as_sender else None,
                     "login_number": update.login_number if as_sender else None})


def revision_error(order):
    return {"action": "revision_error", "order_uid": order.uid, "state": order.state}


def create_order(connection, run, data, nonce, renumber=True):
    """Store an order not seen before. A new order takes the run's next number (tills number
    offline orders on their own); a paid one keeps the number its receipt shows, and the run's
    counter moves past it so that no later order takes it again."""
    number = run.order_counter + 1 if renumber else data["sequence_number"]
    run.order_counter, run.counter_moved = max(run.order_counter, number), True
    incoming = {**data, "sequence_number": number, "run_ID": run.run_id}
    merged = merge_order(None, {}, {}, 0, 0, incoming, 0)
    order = StoredOrder(id=None, uid=data["uid"], order=merged.order, sequence_number=number,
                        nonce=nonce, run_id=run.run_id, state=DRAFT, revision=merged.revision,
                        stamps=merged.stamps, tombstones=merged.tombstones,
                        header_stamp=merged.header_stamp, versions=merged.versions)
    run.changed = order
    return order


def update_order(connection, run, update):
    data = update.data
    stored = run.stored_order(connection, data["uid"])
    if stored is not None and data["nonce"] is not None and stored.nonce == data["nonce"]:
        # The same send again (its reply was lost): already applied.
        return {"action": "", "revision_ID": stored.revision, "uid": stored.uid}, []
    if stored is not None and (stored.state != DRAFT or data["revision_ID"] > stored.revision):
        return revision_error(stored), []
    conflicts, behind = [], False
    if stored is None:
        stored = create_order(connection, run, data, data["nonce"])
        changed = True
    else:
        behind = data["revision_ID"] < stored.revision
        adopt_renamed_lines(stored.order, stored.versions.get("lines", {}), stored.tombstones,
                            data, data["revision_ID"])
        incoming = {**data, "sequence_number": stored.sequence_number, "run_ID": run.run_id}
        merged = merge_order(stored.order, stored.stamps, stored.tombstones,
                             stored.header_stamp, stored.revision, incoming, data["revision_ID"],
                             stored.versions)
        conflicts, changed = merged.conflicts, merged.changed
        stored.order, stored.revision = merged.order, merged.revision
        stored.stamps, stored.tombstones = merged.stamps, merged.tombstones
        stored.header_stamp, stored.versions = merged.header_stamp, merged.versions
        stored.nonce = data["nonce"]
        run.changed = stored
    order = stored.with_revision()
    reply = {"action": "update_revision_ID", "revision_ID": stored.revision, "uid": stored.uid,
             "order_ID": stored.sequence_number, "run_ID": run.run_id, "conflicts": conflicts,
             "order": order}
    if not changed:  # nothing of the till's was applied (all conflicts): nothing to tell
        return reply, []
    # Merged with changes the sender had not seen: the original client ignores its own echo
    # and reads nothing but numbers from the reply, so the merged order goes to it as another
    # till's change (from no session), and it then shows what the server holds.
    return reply, [to_every_till(update, UPDATE_ORDER, order, as_sender=not behind)]


def sync_all(connection, run, update):
    data = update.data
    uid = data.get("uid")
    payload = {"orders": [order_message(order.with_revision())
                          for order in store.draft_orders(connection, run.key, run.run_id, uid)],
               "order_ID": run.order_counter, "uid": uid,
               "login_number": data.get("login_number", update.login_number),
               "session_id": update.session_id}
    if data.get("immediate_rerendering"):
        # The till is loading: the reply is the sync, and counts as its next message.
        [(_, message_id)] = run.write(connection, update.pos_id)
        return {"action": SYNC_ALL, "data": {**payload, "message_ID": message_id}}, []
    return {"action": ""}, [Outgoing({"action": SYNC_ALL, "data": payload}, update.pos_id)]


def remove_order(connection, run, update):
    data = update.data
    stored = run.stored_order(connection, data["uid"])
    if stored is None:
        if data.get("order_data") is None:
            return {"order_ID": run.order_counter}, []
        # Paid while offline and never sent: count it (its number), then remove it.
        stored = create_order(connection, run, data["order_data"], PAID_OFFLINE_NONCE,
                              renumber=False)
    elif stored.state == DELETED:
        return {"order_ID": run.order_counter}, []
    elif data["revision_ID"] != stored.revision and not data.get("finalized"):
        # A paid order's removal always wins; another removal must have seen the last change.
        return revision_error(stored), []
    stored.state, stored.revision = DELETED, stored.revision + 1
    run.changed = stored
    relayed = {key: value for key, value in data.items() if key != "order_data"}
    return {"order_ID": run.order_counter}, [to_every_till(update, REMOVE_ORDER, relayed)]


def relay(connection, run, update):
    """Any other action: passed on to every till as it came."""
    return {"action": ""}, [to_every_till(update, update.action, update.data)]


ACTIONS = {UPDATE_ORDER: update_order, SYNC_ALL: sync_all, REMOVE_ORDER: remove_order}
READS_ORDER = (UPDATE_ORDER, REMOVE_ORDER)  # the actions on the order data["uid"] names


def end_run(connection, dbname, multi_session_id, new_run_id):
    """For the main instance, when the last session of a multi-session closes: start run
    `new_run_id` (draft orders of older runs become unpaid, numbering restarts). Call it in a
    transaction on this server's database, before that transaction sends any bus message
    (updates take the multi-session's lock before the bus's); returns the run now current (a
    run older than the stored one changes nothing)."""
    if isinstance(new_run_id, bool) or not isinstance(new_run_id, int) or new_run_id < 1:
        raise ValueError(f"new_run_id must be a whole number ≥ 1, not {new_run_id!r}")
    key = MultiSessionKey(dbname, multi_session_id)
    locked = store.lock_multi_session(connection, key)
    if new_run_id <= locked.run_id:
        return locked.run_id
    store.prepare_new_session(connection, key, new_run_id)
    return new_run_id
