"""Checking a config's stored chain (`core pos verify`): numbers without gaps, each entry's
previous link the link before it, each link recomputed from the stored record, the head at the
last entry. The first entry that fails is named, with what was done to it in words.

A verified checkpoint per config (`point_of_sale_ledger_checkpoint`: the last ticket found
intact and its link) lets a check start there (`verify_from_checkpoint`): it re-checks the
checkpoint's own ticket (still there, same link, its record still gives it), then only what was
sealed since, so its time follows what is new, not the chain's length. `self_check` is one pass of
a server's check of its own database (`core pos watch`): from the checkpoints, and from ticket 1
when the last full pass is older than its cadence, when sealed rows were unlocked since
(ledger_guard.unsealed) or when the triggers refusing changes are gone. What it finds is an alarm
on this server's side (ledger_alarms.LOCAL).
"""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, insert, select, update

from core.models import utc_now

from .ledger_alarms import LOCAL, raise_ledger_alarm
from .ledger_form import TIME, ZERO_LINK, canonical_form, chain_link
from .ledger_guard import UNSEAL, missing_seal_guards, unseals_after
from .ledger_seal import ENTRY, HEAD, PAGE, ledger_entries, ledger_head
from .ledger_skip import skips_of
from .models import LedgerCheckpoint, Order, PosSession

CHECKPOINT = LedgerCheckpoint.__table__


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    first_broken: int | None
    reason: str
    unsealed: int = 0  # orders of the config with no number (stored before the ledger existed)
    start: int = 1  # the first ticket this check read (after a checkpoint: the one after it)


def verify_chain(connection, config_id):
    """Walk the config's chain from ticket 1 (or from where it starts here, after a previous
    writer's tickets): numbers without gaps, each previous link the link before it, each link
    recomputed from the stored record, the head at the last one."""
    origin = connection.execute(select(HEAD.c.origin_number, HEAD.c.origin_link).where(
        HEAD.c.config_id == config_id)).first()
    after, link = (origin.origin_number, origin.origin_link) if origin else (0, ZERO_LINK)
    return _walk(connection, config_id, after, link, count_unsealed=True)


def _walk(connection, config_id, after, previous, count_unsealed):
    """Check the tickets after number `after` (whose link is `previous`) up to the head."""
    walk = _Walk(after, previous, skips_of(connection, config_id))
    reason = next(filter(None, map(walk.step, _entries_after(connection, config_id, after))),
                  None) or walk.at_head(*ledger_head(connection, config_id))
    unsealed = _unsealed(connection, config_id) if count_unsealed else 0
    if reason is not None:
        return ChainCheck(False, walk.checked, walk.broken_at, reason, unsealed, after + 1)
    return ChainCheck(True, walk.checked, None, f"{walk.checked} tickets, chain intact"
                      f"{walk.skipped_words()}{_since_words(after, walk.checked, count_unsealed)}",
                      unsealed, after + 1)


def _entries_after(connection, config_id, after):
    """The config's entries after number `after`, in chain order, read a page at a time."""
    while True:
        page = ledger_entries(connection, config_id, after, PAGE)
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1]["number"]


def _since_words(after, checked, full):
    if full:  # a full walk: from ticket 1, or from where the chain starts here
        return (f" (from ticket {after + 1}: 1 to {after} were sealed by the config's previous "
                "writer)" if after else "")
    if checked > after:
        return (f" (tickets {after + 1} to {checked} checked now, 1 to {after} verified "
                "before: --full checks them again)")
    return f" (no ticket since the checkpoint at {after}: --full checks every ticket)"


class _Walk:
    """A walk along a chain: the number expected next, the link it must follow, the skipped
    numbers it may step over (ledger_skip.py); `step` and `at_head` answer None or what is
    broken (then `broken_at` names the ticket)."""

    def __init__(self, after, previous, skips):
        self.expected, self.checked, self.previous = after + 1, after, previous
        self.skips, self.crossed, self.broken_at = skips, [], None

    def _skip_to(self, number):
        """Step over the numbers a skip names when the chain goes on at `number`."""
        upto, link = self.skips.get(self.expected - 1, (None, None))
        if upto is not None and number > upto:
            self.crossed.append((self.expected, upto))
            self.expected, self.checked, self.previous = upto + 1, upto, link

    def _broken(self, number, reason):
        self.broken_at = number
        return reason

    def step(self, entry):
        number = entry["number"]
        if number != self.expected:
            self._skip_to(number)
        if number != self.expected:
            return self._broken(self.expected, f"ticket {self.expected} is missing: the next "
                                               f"one stored is {number}")
        reason = _entry_fault(entry, self.previous)
        if reason is not None:
            return self._broken(number, reason)
        self.previous, self.expected, self.checked = entry["link"], number + 1, number
        return None

    def at_head(self, head_number, head_link):
        if head_number > self.checked:
            self._skip_to(head_number + 1)
        if head_number != self.checked:
            return self._broken(self.checked + 1, f"ticket {self.checked + 1} is missing: the "
                                f"chain's head says {head_number} tickets were sealed")
        if head_link != self.previous:
            return self._broken(self.checked, f"the chain's head link is not ticket "
                                              f"{self.checked}'s link")
        return None

    def skipped_words(self):
        return "".join(f" (numbers {first} to {upto} skipped: lost before they reached a "
                       "copy, journaled)" for first, upto in self.crossed)


def _entry_fault(entry, previous):
    """What is wrong with one entry following the link `previous`, or None."""
    number, what = entry["number"], f"{entry['kind']} {entry['uuid']}"
    if entry["previous_link"] != previous:
        return (f"ticket {number} does not follow ticket {number - 1}: its previous link "
                "differs (tickets reordered, or one replaced)")
    if entry["record"] is None:
        return f"ticket {number}: the {what} it seals is no longer in the database (deleted)"
    if chain_link(previous, canonical_form(entry["kind"], entry["record"])) != entry["link"]:
        return f"ticket {number}: the {what} differs from what was sealed (edited in the database)"
    return None


def verify_from_checkpoint(connection, config_id, full=False):
    """Check the config's chain from its verified checkpoint (from ticket 1 with `full`, or
    without a checkpoint) and move the checkpoint to the head when it is intact. Call it in a
    transaction: it writes the checkpoint."""
    point = connection.execute(select(CHECKPOINT).where(
        CHECKPOINT.c.config_id == config_id)).first()
    if full or point is None or point.number == 0:
        check = verify_chain(connection, config_id)
    else:
        check = _checkpoint_still_holds(connection, config_id, point) or _walk(
            connection, config_id, point.number, point.link, count_unsealed=False)
    if check.ok:
        _move_checkpoint(connection, config_id, point, full or point is None or point.number == 0)
    elif point is not None and point.number >= check.first_broken:
        _back_before(connection, config_id, check.first_broken)
    return check


def _checkpoint_still_holds(connection, config_id, point):
    """None when the checkpoint's ticket is as verified; else the ChainCheck saying what."""
    if (point.number, point.link) in skips_of(connection, config_id).values():
        return None  # the chain's head stood after skipped numbers (ledger_skip.py)
    entry = ledger_entries(connection, config_id, point.number - 1, 1)
    number = point.number
    if not entry or entry[0]["number"] != number:
        reason = f"ticket {number}, verified at the checkpoint, is no longer in the chain"
    elif entry[0]["link"] != point.link:
        reason = (f"ticket {number} no longer has the link verified at the checkpoint "
                  "(rewritten and the chain re-linked)")
    elif entry[0]["record"] is None:
        reason = (f"ticket {number}: the {entry[0]['kind']} {entry[0]['uuid']} it seals is no "
                  "longer in the database (deleted)")
    elif chain_link(entry[0]["previous_link"], canonical_form(
            entry[0]["kind"], entry[0]["record"])) != point.link:
        reason = (f"ticket {number}: the {entry[0]['kind']} {entry[0]['uuid']} differs from what "
                  "was sealed (edited in the database)")
    else:
        return None
    return ChainCheck(False, number - 1, number, reason, 0, number)


def _move_checkpoint(connection, config_id, point, full):
    number, link = ledger_head(connection, config_id)
    now = utc_now()
    values = {"number": number, "link": link, "checked_at": now}
    if full:
        values["full_checked_at"] = now
    if point is None:
        connection.execute(insert(CHECKPOINT).values(config_id=config_id, **values))
    else:
        connection.execute(update(CHECKPOINT).where(CHECKPOINT.c.config_id == config_id)
                           .values(**values))


def _back_before(connection, config_id, number):
    """The checkpoint moved back before ticket `number` (found broken), so that the next pass
    from it finds the break again."""
    before = ledger_entries(connection, config_id, number - 2, 1) if number > 1 else []
    number, link = ((before[0]["number"], before[0]["link"])
                    if before and before[0]["number"] == number - 1 else (0, ZERO_LINK))
    connection.execute(update(CHECKPOINT).where(CHECKPOINT.c.config_id == config_id)
                       .values(number=number, link=link))


def checkpoint_of(connection, config_id):
    """The config's checkpoint as a dict (number, link, checked_at, full_checked_at), or None."""
    row = connection.execute(select(CHECKPOINT).where(
        CHECKPOINT.c.config_id == config_id)).mappings().first()
    return dict(row) if row else None


def self_check(connection, full_every=timedelta(days=1), config_ids=None):
    """One pass of this server's check of its own chains, per config with sealed tickets
    (`config_ids` to limit it): from the checkpoint; from ticket 1 when the last full pass is
    older than `full_every`, when sealed rows were unlocked since the last pass or when the
    triggers refusing changes are gone. Raises an alarm (side LOCAL) for what it finds; returns
    {config_id: ChainCheck}. Call it in a transaction."""
    missing = missing_seal_guards(connection)
    last_unseal = connection.scalar(select(func.max(UNSEAL.c.id))) or 0
    configs = select(HEAD.c.config_id).where(HEAD.c.number > 0).order_by(HEAD.c.config_id)
    if config_ids is not None:
        configs = configs.where(HEAD.c.config_id.in_(list(config_ids)))
    now, results = utc_now(), {}
    for config_id in connection.scalars(configs).all():
        point = checkpoint_of(connection, config_id)
        seen = point["unseal_seen"] if point else 0
        full = bool(missing) or last_unseal > seen or _full_pass_due(point, now, full_every)
        results[config_id] = verify_from_checkpoint(connection, config_id, full)
        _alarm_what_was_found(connection, config_id, results[config_id], missing, seen)
        if last_unseal > seen and checkpoint_of(connection, config_id):
            connection.execute(update(CHECKPOINT).where(CHECKPOINT.c.config_id == config_id)
                               .values(unseal_seen=last_unseal))
    return results


def _full_pass_due(point, now, cadence):
    return point is None or point["full_checked_at"] is None or \
        _older(point["full_checked_at"], now, cadence)


def _alarm_what_was_found(connection, config_id, check, missing, seen):
    """The alarms of one config's pass: triggers gone, rows unlocked since, a broken chain."""
    if missing:
        raise_ledger_alarm(connection, config_id, "guards_missing", None, LOCAL, (
            "the triggers refusing changes to sealed rows are gone from this server's "
            f"database ({', '.join(missing)}): every ticket was checked again"))
    for unseal_id, reason, opened_at in unseals_after(connection, seen):
        raise_ledger_alarm(connection, config_id, "unsealed", None, LOCAL, (
            f"sealed rows were unlocked in this server's database at "
            f"{TIME[0](opened_at)} ({reason!r}, unlocking {unseal_id}): every ticket was "
            "checked again"))
    if not check.ok:
        raise_ledger_alarm(connection, config_id, "chain_broken", check.first_broken, LOCAL,
                           f"in this server's own database: {check.reason}")


def _older(when, now, cadence):
    if when.tzinfo is None:
        when = when.replace(tzinfo=now.tzinfo)
    return now - when >= cadence


def _unsealed(connection, config_id):
    sealed = select(ENTRY.c.uuid).where(ENTRY.c.kind == "order")
    return connection.scalar(
        select(func.count()).select_from(Order).join(PosSession, PosSession.id == Order.session_id)
        .where(PosSession.config_id == config_id, Order.uuid.not_in(sealed)))


# -- another copy of the chain (an autonomous till's), compared with this server's --------------

def ledger_links(connection, config_id, numbers):
    """{number: link} of this server's entries among `numbers`."""
    if not numbers:
        return {}
    return dict(connection.execute(select(ENTRY.c.number, ENTRY.c.link).where(
        ENTRY.c.config_id == config_id, ENTRY.c.number.in_(list(numbers)))).all())


def sample_numbers(low, high, count=64):
    """Numbers to compare in (low, high]: all of them when few, else `count` spread out."""
    if high - low <= count * 4:
        return list(range(low + 1, high + 1))
    step = (high - low) / count
    return sorted({low + 1 + int(step * i) for i in range(count)} | {high})


def anchor_numbers(acknowledged, head, origin=0):
    """What a till sends of its chain at each pass: its head and acknowledged numbers going
    back twice as far each time (acknowledged, -1, -2, -4, ...) down to its first ticket."""
    numbers, back = {head} if head else set(), 0
    while acknowledged - back > origin:
        numbers.add(acknowledged - back)
        back = 1 if back == 0 else back * 2
    if acknowledged > origin:
        numbers.add(origin + 1)
    return sorted(numbers)


def compare_links(connection, config_id, links):
    """Compare another copy's (number, link) pairs with this server's entries of those numbers.
    Return None when all that both hold agree; else (last agreeing number, first differing)."""
    held = ledger_links(connection, config_id, [number for number, _link in links])
    differing = [number for number, link in links if held.get(number, link) != link]
    if not differing:
        return None
    first = min(differing)
    agreeing = [number for number, link in links if number < first and held.get(number) == link]
    if agreeing:
        return max(agreeing), first
    origin = connection.scalar(select(HEAD.c.origin_number).where(
        HEAD.c.config_id == config_id))
    return origin or 0, first


def whose_copy_changed(connection, config_id, number):
    """Ticket `number` differs between this server and another copy: (LOCAL, words) when this
    server's copy changed (its record no longer gives its link, or its chain was re-linked since
    its verified checkpoint), else ("till", words)."""
    words = _local_copy_fault(connection, config_id, number) or \
        _rewritten_since_checkpoint(connection, config_id, number)
    if words is not None:
        return LOCAL, words
    return "till", (f"the till's copy of ticket {number} changed (its database was edited and "
                    "the chain re-linked, or replaced): this server's copy is intact")


def _local_copy_fault(connection, config_id, number):
    """Words when this server's ticket `number` is gone, no longer gives its link, or no
    longer follows the ticket before it; else None."""
    entry = ledger_entries(connection, config_id, number - 1, 1)
    if not entry or entry[0]["number"] != number:
        return f"ticket {number} is gone from this server's database"
    entry = entry[0]
    if entry["record"] is None or chain_link(entry["previous_link"], canonical_form(
            entry["kind"], entry["record"])) != entry["link"]:
        return (f"this server's copy of ticket {number} was edited in its database (its "
                "record no longer gives its link)")
    before = ledger_entries(connection, config_id, number - 2, 1) if number > 1 else []
    if before and before[0]["number"] == number - 1 and \
            before[0]["link"] != entry["previous_link"]:
        return (f"this server's chain no longer links ticket {number} to ticket "
                f"{number - 1} (re-linked in its database)")
    return None


def _rewritten_since_checkpoint(connection, config_id, number):
    """Words when the ticket at this server's verified checkpoint (at or after `number`) no
    longer has the link verified then; else None."""
    point = connection.execute(select(CHECKPOINT).where(
        CHECKPOINT.c.config_id == config_id)).first()
    if point is None or point.number < number or \
            (point.number, point.link) in skips_of(connection, config_id).values():
        return None
    if ledger_links(connection, config_id, [point.number]).get(point.number) == point.link:
        return None
    return (f"this server's chain was rewritten and re-linked in its database from ticket "
            f"{number} (ticket {point.number} no longer has the link verified at its "
            "checkpoint)")
