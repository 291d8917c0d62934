"""Checking a config's stored chain (`core pos verify`): numbers without gaps, each entry's
previous link the link before it, each link recomputed from the stored record, the head at the
last entry. The first entry that fails is named, with what was done to it in words."""
from dataclasses import dataclass

from sqlalchemy import func, select

from .ledger_form import ZERO_LINK, canonical_form, chain_link
from .ledger_seal import ENTRY, PAGE, ledger_entries, ledger_head
from .models import Order, PosSession


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    first_broken: int | None
    reason: str
    unsealed: int = 0  # orders of the config with no number (stored before the ledger existed)


def verify_chain(connection, config_id):
    """Walk the config's chain from ticket 1: numbers without gaps, each previous link the link
    before it, each link recomputed from the stored record, the head at the last one."""
    expected, previous, checked = 1, ZERO_LINK, 0
    while True:
        page = ledger_entries(connection, config_id, expected - 1, PAGE)
        for entry in page:
            number = entry["number"]
            if number != expected:
                return _broken(checked, expected, f"ticket {expected} is missing: the next "
                                                  f"one stored is {number}", connection, config_id)
            if entry["previous_link"] != previous:
                return _broken(checked, number, f"ticket {number} does not follow ticket "
                               f"{number - 1}: its previous link differs (tickets reordered, "
                               "or one replaced)", connection, config_id)
            what = f"{entry['kind']} {entry['uuid']}"
            if entry["record"] is None:
                return _broken(checked, number, f"ticket {number}: the {what} it seals is no "
                               "longer in the database (deleted)", connection, config_id)
            if chain_link(previous, canonical_form(entry["kind"], entry["record"])) \
                    != entry["link"]:
                return _broken(checked, number, f"ticket {number}: the {what} differs from "
                               "what was sealed (edited in the database)", connection, config_id)
            previous, expected, checked = entry["link"], expected + 1, checked + 1
        if len(page) < PAGE:
            break
    head_number, head_link = ledger_head(connection, config_id)
    if head_number != checked:
        return _broken(checked, checked + 1, f"ticket {checked + 1} is missing: the chain's "
                       f"head says {head_number} tickets were sealed", connection, config_id)
    if head_link != previous:
        return _broken(checked, checked, f"the chain's head link is not ticket {checked}'s "
                       "link", connection, config_id)
    return ChainCheck(True, checked, None, f"{checked} tickets, chain intact",
                      _unsealed(connection, config_id))


def _broken(checked, number, reason, connection, config_id):
    return ChainCheck(False, checked, number, reason, _unsealed(connection, config_id))


def _unsealed(connection, config_id):
    sealed = select(ENTRY.c.uuid).where(ENTRY.c.kind == "order")
    return connection.scalar(
        select(func.count()).select_from(Order).join(PosSession, PosSession.id == Order.session_id)
        .where(PosSession.config_id == config_id, Order.uuid.not_in(sealed)))
