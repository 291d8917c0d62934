"""The up half of a synchroniser pass (push before pull): the ledger entries in batches until the
central instance has acknowledged them all (push.py reads and records, the client sends), then
the customers' outbox. A refusal (gap, broken link, conflict) stops the push but not the pass:
the pull goes on and the pass reports the refusal as its error."""
import time
from dataclasses import dataclass

from .. import role, settings
from ..wire import PUSH
from . import high_water, outbox, push

MAX_RESENDS = 3  # the central instance went back: sending again from where it stands
MAX_PROBES = 8  # rounds narrowing down a differing ticket (64 links each: 64**8 tickets)
# The till's check of its whole chain costs about a millisecond per ticket: a synchroniser runs
# it on its first pass, then at most this often; the other passes check from its verified
# checkpoint (the checkpoint's ticket and what was sealed since), and the central instance
# recomputes each link it receives and compares the head and links of acknowledged tickets.
CHAIN_CHECK_SECONDS = 600.0


@dataclass
class Uploaded:
    entries: int = 0
    batches: int = 0
    customers: int = 0
    refusal: str | None = None


def upload(synchroniser):
    """Push each config's chain (a shop has several), then send the outbox; return an
    Uploaded. Raises SyncError when the central instance cannot be reached (the pass fails;
    nothing is lost: the till sends again)."""
    engine, client = synchroniser.instance.engine, synchroniser.client
    done = Uploaded()
    if push.has_ledger():  # a point_of_sale without the ticket ledger: customers only
        with engine.connect() as connection:
            pushers = role.pushers(connection)
        for pusher in pushers:
            _push_config(synchroniser, pusher, done, shop=len(pushers) > 1)
    done.customers = outbox.send_outbox(engine, client, say=synchroniser.say)
    if done.customers and push.has_ledger():
        synchroniser.say(f"sent {done.customers} customer change(s)")
    return done


def _push_config(synchroniser, pusher, done, shop):
    """One config's chain up (as its till on the central instance), counted into `done`; its
    refusal (the first of the pass is kept) does not hold the shop's other configs back."""
    pushed = Uploaded()
    _push_entries(synchroniser, pusher, pushed)
    done.entries += pushed.entries
    done.batches += pushed.batches
    if pushed.refusal and not done.refusal:
        done.refusal = (f"config {pusher.config_id}: {pushed.refusal}" if shop
                        else pushed.refusal)
    if pushed.entries:
        synchroniser.say((f"config {pusher.config_id}: " if shop else "")
                         + _pushed_words(pushed))


def _push_entries(synchroniser, pusher, done):
    """Batches until the central instance acknowledged every entry of the config, refused one,
    or stopped moving on; counted into `done`."""
    batch_size = synchroniser.settings.get(settings.PUSH_BATCH_SIZE) or 200
    _journal_a_database_behind(synchroniser, pusher)
    chain = _chain_check(synchroniser, pusher)
    rounds, probe = _Rounds(), None
    while True:
        # Sent even when nothing waits: the head and the links of acknowledged tickets are
        # compared by the central instance at every pass (a rewrite, deletion or restore of
        # anything it acknowledged is an alarm at that pass).
        batch, outcome = _send_next_batch(synchroniser, pusher, batch_size, chain, probe)
        done.batches += 1
        done.entries += outcome.acknowledged
        probe = outcome.probe
        if rounds.at_once(outcome):
            continue
        done.refusal = outcome.refusal
        if outcome.refusal or not outcome.progressed or not _more_waits(batch):
            break


class _Rounds:
    """Batches sent again at once within a pass: probes narrowing down the first ticket that
    differs (at most MAX_PROBES), sending again from a central instance that went back (at most
    MAX_RESENDS)."""

    def __init__(self):
        self.probes = self.resends = 0

    def at_once(self, outcome):
        if outcome.probe and self.probes < MAX_PROBES:
            self.probes += 1
            return True
        if outcome.again and self.resends < MAX_RESENDS:
            self.resends += 1
            return True
        return False


def _pushed_words(done):
    return (f"pushed {done.entries} entr{'ies' if done.entries != 1 else 'y'} "
            f"in {done.batches} batch{'es' if done.batches != 1 else ''}")


def _send_next_batch(synchroniser, pusher, batch_size, chain, probe):
    """(batch, Outcome) of the next batch sent and its answer recorded; `probe`: the range of
    links the central instance asked for."""
    engine = synchroniser.instance.engine
    with engine.connect() as connection:
        batch = push.build_batch(connection, pusher.till_id, pusher.config_id, batch_size,
                                 chain, probe, state_id=pusher.state_id)
    answer = synchroniser.client_for(pusher).post(PUSH, batch)
    with engine.begin() as connection:
        return batch, push.record_answer(connection, batch, answer, state_id=pusher.state_id,
                                         config_id=pusher.config_id)


def _chain_check(synchroniser, pusher):
    """The check of the config's chain at every pass: from its verified checkpoint, and of the
    whole chain on the first pass, then every CHAIN_CHECK_SECONDS."""
    now = time.monotonic()
    checked = synchroniser.chain_checked_at  # {config id: when its whole chain was checked}
    last = checked.get(pusher.config_id)
    full = last is None or now - last >= CHAIN_CHECK_SECONDS
    with synchroniser.instance.engine.begin() as connection:  # it moves the checkpoint
        chain = push.chain_check(connection, pusher.config_id, full)
    if full:
        checked[pusher.config_id] = now
    return chain


def _journal_a_database_behind(synchroniser, pusher):
    """A database behind its high-water mark (till/high_water.py): the lost range journaled
    once, and said."""
    with synchroniser.instance.engine.begin() as connection:
        gap = high_water.behind(connection, pusher.config_id)
        if gap is not None and high_water.journal_lost_range(connection, pusher.config_id, gap):
            synchroniser.say(high_water.words(gap))


def _more_waits(batch):
    """Whether the batch was full: entries after its last, or as many events or sessions as a
    batch carries."""
    more_entries = bool(batch["entries"]) and batch["last"] < batch["head"]["number"]
    return more_entries or (len(batch["events"]) == push.EVENTS_PER_BATCH
                            or len(batch["sessions"]) == push.SESSIONS_PER_BATCH
                            or len(batch.get("journal", ())) == push.JOURNAL_PER_BATCH)
