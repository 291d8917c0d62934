"""The central side of a till's recovery (#24 item 4, `core autonomous recover`, till/recover.py):
a till whose database went back (restored from an older copy, its last tickets deleted) takes
back what this instance acknowledged of its config's chain, then tells it the numbers it issued
that no copy holds any more, so that both chains go on after the highest number ever issued.

* `entries_for_till`: the config's entries after a number, as sealed (number, kind, uuid,
  previous link, link, the record recomputed from this server's rows: the till stores them only
  if they give their links), with the skips of earlier recoveries and this server's head;
* `skip_for_till`: numbers after+1..upto are lost (printed on receipts, never received here):
  journaled as a skip (point_of_sale.skip_numbers, from the last lost ticket's link) and raised
  as a `lost_range` alarm for a person to look at; the same skip twice is answered again.

Only for a config this till writes (one writer per config): another till's chain is never sent.
"""
from sqlalchemy import select

import addons.point_of_sale as point_of_sale
from core.web.errors import ApiError

from .models import TillPush
from .receive import raise_alarm

LOST_RANGE = "lost_range"  # the alarm of a skip


def configs_of(till):
    """The configs whose tickets `till` writes (one today; a shop till may serve several)."""
    return [till.config_id]


def check_writer(connection, till, config_id):
    """403 unless `config_id` is one of the till's; 409 unless the till writes its tickets."""
    if config_id not in configs_of(till):
        raise ApiError(403, "wrong_config", f"till {till.name} (id {till.id}) does not serve "
                                            f"config {config_id}: its token is for config(s) "
                                            f"{', '.join(map(str, configs_of(till)))}")
    key = point_of_sale.config_writer_key(connection, config_id)
    if key != str(till.id):
        raise ApiError(409, "not_writer", f"till {till.name} (id {till.id}) no longer writes the "
                                          f"tickets of config {config_id} (moved to another "
                                          "writer): it cannot recover them")


def _acknowledged(connection, till, config_id):
    number, link = point_of_sale.ledger_head(connection, config_id)
    serial = connection.scalar(select(TillPush.serial).where(TillPush.till_id == till.id))
    return {"config_id": config_id, "acknowledged": {"number": number, "link": link},
            "serial": serial or 0}


def entries_for_till(connection, till, config_id, after, limit):
    """The answer to a page of a recovery: {"config_id", "acknowledged": {"number", "link"},
    "serial", "entries", "skips": [{"after", "upto", "link"}], "more"}."""
    check_writer(connection, till, config_id)
    answer = _acknowledged(connection, till, config_id)
    entries = point_of_sale.ledger_entries(connection, config_id, after, limit)
    skips = point_of_sale.skips_of(connection, config_id)
    last = entries[-1]["number"] if entries else after
    return {**answer, "entries": entries,
            "skips": [{"after": start, "upto": upto, "link": link}
                      for start, (upto, link) in sorted(skips.items()) if start >= after],
            "more": bool(entries) and last < answer["acknowledged"]["number"]}


def skip_for_till(connection, till, config_id, after, upto, link):
    """Numbers after+1..upto issued by the till and lost before they reached this server:
    skipped here (journaled), alarmed; answer {"config_id", "acknowledged", "serial",
    "skipped"}. 409 when this server's chain does not end at `after`."""
    check_writer(connection, till, config_id)
    reason = (f"till {till.name} (id {till.id}) recovered: numbers {after + 1} to {upto} were "
              "issued there and lost before they reached this server")
    try:
        skipped = point_of_sale.skip_numbers(connection, config_id, after, upto, link, reason)
    except ValueError as error:
        raise ApiError(409, "cannot_skip", str(error)) from None
    if skipped:
        raise_alarm(connection, till, LOST_RANGE, after + 1, upto, (
            f"till {till.name} recovered its database: tickets {after + 1} to {upto} were "
            f"issued there (the last one's short link {point_of_sale.short_link(link)}) and "
            "lost before they reached this server; their numbers are never given again. Their "
            "printed receipts are the only trace: re-enter them if the shop's procedure asks"))
        connection.execute(TillPush.__table__.update().where(TillPush.till_id == till.id)
                           .values(last_acknowledged=upto))
    return {**_acknowledged(connection, till, config_id), "skipped": skipped}
