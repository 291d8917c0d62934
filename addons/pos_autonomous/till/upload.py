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
    batch_size = synchroniser.settings.get(settings.PUSH_BATCH_SIZE) or 200
    done = Uploaded()
    if not push.has_ledger():  # a point_of_sale without the ticket ledger: customers only
        done.customers = outbox.send_outbox(engine, client, say=synchroniser.say)
        return done
    chain = None
    now = time.monotonic()
    last = getattr(synchroniser, "chain_checked_at", None)
    if last is None or now - last >= CHAIN_CHECK_SECONDS:
        with engine.connect() as connection:
            chain = push.chain_check(connection, link.config_id)
        synchroniser.chain_checked_at = now
    resends = 0
    while True:
        with engine.connect() as connection:
            batch = push.build_batch(connection, link.till_id, link.config_id, batch_size, chain)
        if done.batches == 0 and push.is_empty(batch):
            break  # nothing waits: a no-change pass stays one round trip (the pull)
        answer = client.post(PUSH, batch)
        with engine.begin() as connection:
            outcome = push.record_answer(connection, batch, answer)
        done.batches += 1
        done.entries += outcome.acknowledged
        if outcome.again and resends < MAX_RESENDS:
            resends += 1
            continue
        if outcome.refusal:
            done.refusal = outcome.refusal
            break
        more_entries = bool(batch["entries"]) and batch["last"] < batch["head"]["number"]
        more_other = (len(batch["events"]) == push.EVENTS_PER_BATCH
                      or len(batch["sessions"]) == push.SESSIONS_PER_BATCH)
        if not outcome.progressed or not (more_entries or more_other):
            break
    if done.entries:
        synchroniser.say(f"pushed {done.entries} entr{'ies' if done.entries != 1 else 'y'} "
                         f"in {done.batches} batch{'es' if done.batches != 1 else ''}")
    done.customers = outbox.send_outbox(engine, client, say=synchroniser.say)
    if done.customers:
        synchroniser.say(f"sent {done.customers} customer change(s)")
    return done
