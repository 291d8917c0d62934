"""The up half of a synchroniser pass (push before pull): the ledger entries in batches until the
central instance has acknowledged them all (push.py reads and records, the client sends), then
the customers' outbox. A refusal (gap, broken link, conflict) stops the push but not the pass:
the pull goes on and the pass reports the refusal as its error."""
import time
from dataclasses import dataclass

from .. import settings
from ..wire import PUSH
from . import outbox, push

MAX_RESENDS = 3  # the central instance went back: sending again from where it stands
# The till's check of its whole chain costs about a millisecond per ticket: a synchroniser runs
# it on its first pass, then at most this often (entries not acknowledged yet are checked by the
# central instance at every push anyway: it recomputes each link).
CHAIN_CHECK_SECONDS = 600.0


@dataclass
class Uploaded:
    entries: int = 0
    batches: int = 0
    customers: int = 0
    refusal: str | None = None


def upload(synchroniser, link):
    """Push, then send the outbox; return an Uploaded. Raises SyncError when the central
    instance cannot be reached (the pass fails; nothing is lost: the till sends again)."""
    engine, client = synchroniser.instance.engine, synchroniser.client
    done = Uploaded()
    if push.has_ledger():  # a point_of_sale without the ticket ledger: customers only
        _push_entries(synchroniser, link, done)
    done.customers = outbox.send_outbox(engine, client, say=synchroniser.say)
    if done.customers and push.has_ledger():
        synchroniser.say(f"sent {done.customers} customer change(s)")
    return done


def _push_entries(synchroniser, link, done):
    """Batches until the central instance acknowledged every entry, refused one, or stopped
    moving on; counted into `done`."""
    batch_size = synchroniser.settings.get(settings.PUSH_BATCH_SIZE) or 200
    chain = _chain_check_now_and_then(synchroniser, link)
    resends = 0
    while True:
        batch, outcome = _send_next_batch(synchroniser, link, batch_size, chain,
                                          first=done.batches == 0)
        if outcome is None:
            break  # nothing waits: a no-change pass stays one round trip (the pull)
        done.batches += 1
        done.entries += outcome.acknowledged
        if outcome.again and resends < MAX_RESENDS:
            resends += 1
            continue
        done.refusal = outcome.refusal
        if outcome.refusal or not outcome.progressed or not _more_waits(batch):
            break
    if done.entries:
        synchroniser.say(_pushed_words(done))


def _pushed_words(done):
    return (f"pushed {done.entries} entr{'ies' if done.entries != 1 else 'y'} "
            f"in {done.batches} batch{'es' if done.batches != 1 else ''}")


def _send_next_batch(synchroniser, link, batch_size, chain, first):
    """(batch, Outcome) of the next batch sent and its answer recorded; (batch, None) when
    this pass's first batch would carry nothing."""
    engine = synchroniser.instance.engine
    with engine.connect() as connection:
        batch = push.build_batch(connection, link.till_id, link.config_id, batch_size, chain)
    if first and push.is_empty(batch):
        return batch, None
    answer = synchroniser.client.post(PUSH, batch)
    with engine.begin() as connection:
        return batch, push.record_answer(connection, batch, answer)


def _chain_check_now_and_then(synchroniser, link):
    """The till's check of its whole chain on the first pass, then every CHAIN_CHECK_SECONDS;
    None between."""
    now = time.monotonic()
    last = getattr(synchroniser, "chain_checked_at", None)
    if last is not None and now - last < CHAIN_CHECK_SECONDS:
        return None
    with synchroniser.instance.engine.connect() as connection:
        chain = push.chain_check(connection, link.config_id)
    synchroniser.chain_checked_at = now
    return chain


def _more_waits(batch):
    """Whether the batch was full: entries after its last, or as many events or sessions as a
    batch carries."""
    more_entries = bool(batch["entries"]) and batch["last"] < batch["head"]["number"]
    return more_entries or (len(batch["events"]) == push.EVENTS_PER_BATCH
                            or len(batch["sessions"]) == push.SESSIONS_PER_BATCH)
