"""The ticket ledger: every order and closing a config stores first gets the next number of a
gap-free sequence per config and a link in a hash chain, in the transaction that stores it.

    link(n) = sha256(link(n-1) ‖ canonical_form(record n)),   link(0) = "0" * 64

The ledger keeps numbers and links only. The canonical form is recomputed from the stored rows
each time it is needed, so a ticket edited, deleted or reordered in the database breaks the chain
at that ticket: `verify_chain` (`core pos verify`) names it, and so does a central server that
receives the tickets (`receive_sealed_entries`). Nothing in Comptoir edits or deletes a stored
ticket; a correction is a new ticket (a refund).

It is split by job; this module only gathers what the package's public face offers:
- ledger_form.py: the canonical form (which columns, in which format) and the link;
- ledger_seal.py: numbers and links given in the storing transaction, the head, the entries;
- ledger_check.py: re-checking a stored chain;
- ledger_receive.py: storing entries another instance sealed (a till's, on the central);
- ledger_alarms.py: what the checks found, per config, until resolved;
- ledger_guard.py: the database's triggers refusing UPDATE and DELETE of sealed rows;
- ledger_writer.py: one writer per config (a config an autonomous till serves is refused here);
- ledger_skip.py: numbers lost for good (a till's recovery), never given again, journaled.
"""
from .ledger_alarms import ledger_alarms, raise_ledger_alarm, resolve_ledger_alarm
from .ledger_check import (
    ChainCheck,
    anchor_numbers,
    compare_links,
    ledger_links,
    sample_numbers,
    verify_chain,
    verify_from_checkpoint,
    whose_copy_changed,
)
from .ledger_form import ZERO_LINK, canonical_form, chain_link, short_link
from .ledger_guard import SEALED_TABLES, install_seal_guards, unsealed
from .ledger_receive import receive_sealed_entries, receiving_session
from .ledger_seal import (
    SealedEntry,
    ledger_entries,
    ledger_head,
    seal_record,
    seal_records,
    sealed_entries_of,
    take_sealed_configs,
)
from .ledger_skip import skip_numbers, skips_of
from .ledger_writer import (
    config_writer,
    config_writer_key,
    config_writers,
    set_config_writer,
    start_chain_after,
)

__all__ = ["ZERO_LINK", "SealedEntry", "ChainCheck", "canonical_form", "chain_link",
           "short_link", "seal_record", "seal_records", "sealed_entries_of", "ledger_head",
           "ledger_entries", "verify_chain", "receive_sealed_entries", "receiving_session",
           "ledger_alarms", "raise_ledger_alarm", "resolve_ledger_alarm", "SEALED_TABLES",
           "install_seal_guards", "unsealed", "config_writer", "config_writer_key",
           "config_writers", "set_config_writer", "start_chain_after", "anchor_numbers",
           "compare_links", "ledger_links", "sample_numbers", "whose_copy_changed",
           "verify_from_checkpoint", "take_sealed_configs", "skip_numbers", "skips_of"]
