"""Numbers lost for good (#24 item 4, `core autonomous recover`): an autonomous till whose
database went back (restored from an older copy, its last tickets deleted) issued numbers that
no database holds any more — they were printed on receipts, then lost before reaching the
central instance. They are never given again: the chain goes on after the highest number ever
issued, from the link of that last ticket (the one its high-water mark or receipt shows).

Such a skip is an event of the journal of technical events (`ledger_numbers_skipped`: after,
upto, link, reason), itself chained and refused UPDATE and DELETE by the database, so a check
of the chain (`ledger_check`) steps over exactly the numbers a skip names, from exactly the
link it names, and over nothing else. Each side records it: the till when it recovers, the
central instance when the till tells it (pos_autonomous raises an alarm there).
"""
import re

from sqlalchemy import update

from .journal import journal_events, record_event
from .ledger_seal import HEAD, ledger_head, take_numbers

SKIPPED = "ledger_numbers_skipped"
LINK_PATTERN = re.compile(r"[0-9a-f]{64}")
MAX_NUMBER = 2**31 - 1


def skip_numbers(connection, config_id, after, upto, link, reason):
    """Move the config's chain from ticket `after` (its head now) on to `upto`, whose link is
    `link`: numbers after+1..upto are never sealed here. Journaled; return True, or False when
    the chain already stands there (the same skip twice). ValueError says what does not fit."""
    if not (isinstance(link, str) and LINK_PATTERN.fullmatch(link)):
        raise ValueError("the link of the last number issued must be 64 lowercase hex digits")
    if not 0 <= after < upto <= MAX_NUMBER:
        raise ValueError(f"cannot skip from ticket {after} to {upto}: the last number issued "
                         "must be after the chain's head")
    take_numbers(connection, config_id, 0)  # the head stays locked until the transaction ends
    number, head_link = ledger_head(connection, config_id)
    if (number, head_link) == (upto, link):
        return False
    if number != after:
        raise ValueError(f"the chain of config {config_id} ends at ticket {number} here, not "
                         f"{after}: the numbers from {after + 1} cannot be skipped")
    connection.execute(update(HEAD).where(HEAD.c.config_id == config_id)
                       .values(number=upto, link=link))
    record_event(connection, SKIPPED, config_id, after=after, upto=upto, link=link,
                 reason=str(reason)[:256])
    return True


def skips_of(connection, config_id):
    """{after: (upto, link)} of the config's skipped numbers."""
    events = journal_events(connection, config_id=config_id, kinds=[SKIPPED], limit=10**6)
    return {event["details"]["after"]: (event["details"]["upto"], event["details"]["link"])
            for event in events if event["config_id"] == config_id}
