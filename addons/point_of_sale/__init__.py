"""point_of_sale's public face: what other addons may use, as `from addons.point_of_sale import X`.

- the records: `PosConfig`, `PosSession`, `Product`, `Partner`, `Order`, `OrderLine`,
  `Payment`, and the session states (`OPENING_CONTROL`, `OPENED`, `CLOSING_CONTROL`, `CLOSED`);
- sessions: `get_config`, `current_session`, `open_session`, `close_session`,
  `announce_closed` (after the closing committed), `SessionError`;
- orders: `parse_order` (wire form -> `ParsedOrder`, whose `to_wire()` goes back),
  `push_orders`, `compute_totals`, `Rejection`;
- payments and refunds: `payment_methods(connection, config_id)` (the config's methods, cash and
  card when it has none), `PaymentMethod`, `BUILT_IN_METHODS`, `check_payments`,
  `refunded_quantities(connection, order_ids)` ({line id: refunded});
- the ticket ledger (ledger.py gathers it; split by job in ledger_form, ledger_seal,
  ledger_check, ledger_receive): `canonical_form`, `chain_link`, `seal_record`, `ledger_head`,
  `ledger_entries`, `verify_chain`, `receive_sealed_entries`, `SealedEntry`, `ChainCheck`,
  `ZERO_LINK`; its alarms: `ledger_alarms(connection, config_id=None, include_resolved=False)`,
  `resolve_ledger_alarm(connection, alarm_id, resolution)`; the database's refusal of changes to
  sealed rows (ledger_guard.py): `SEALED_TABLES`, `install_seal_guards(connection, tables)` (for
  another addon's sealed table, from its migration), `unsealed(connection, reason)` (the one
  path for a migration that must change sealed rows); one writer per config (ledger_writer.py):
  `config_writer(connection, config_id)` (words naming who serves it, None: this instance),
  `config_writer_key`, `config_writers`, `set_config_writer(connection, config_id, writer,
  reason, writer_key=None)` (journaled; returns the last ticket (number, link) held here) and
  `start_chain_after(connection, config_id, number, link)` (a new writer goes on from there);
  another copy of a chain compared with this one's: `anchor_numbers`, `ledger_links`,
  `compare_links`, `sample_numbers`, `whose_copy_changed`; `verify_from_checkpoint(connection,
  config_id, full=False)` (in a transaction: it moves the verified checkpoint); `short_link(link)`
  (what a receipt prints of a link); `take_sealed_configs(connection)` (the configs it sealed
  tickets of since last taken: what a till writes at the commit); numbers lost for good
  (ledger_skip.py, a till's recovery): `skip_numbers(connection, config_id, after, upto, link,
  reason)` (journaled; checks step over exactly those) and `skips_of(connection, config_id)`;
- closings (closing.py): `session_report` (a session's figures, the closing's once closed);
- an order as the till's detail shows it (names, payments, ticket):
  `order_details(connection, config_id, uuid)` (None when the config has no such order);
- the journal of technical events (journal.py, one hash chain per instance):
  `record_event(connection, kind, config_id=None, **details)` in the transaction that did what
  it records (after any ticket it seals: it locks the journal's head until commit) ->
  `JournalEntry(number, link)`; `journal_events`, `verify_journal` -> `JournalCheck`,
  `journal_head`, and the kinds it records itself (`JOURNAL_KINDS`); an event's canonical form
  and link (`canonical_details`, `canonical_event(number, at, kind, config_id, details_text)`,
  `event_link(previous, canonical)`) and `verify_events(events, previous, expected)` (a run of
  events in their wire form (`journal_event_json(row)`), e.g. a till's received by a central
  instance);
- periodic closings (periodic.py): `run_due_closings(connection, parameters, now=None)` makes
  the daily, monthly and yearly closings due (an autonomous till's synchroniser calls it),
  `closings_of_config(connection, config_id)`;
- who is calling: `caller_credentials` (ANY_CONFIG or the caller's `PosToken`: instance,
  config, multi-sessions), `caller_config_scope`, `require_config_access`,
  `require_session_access`, `ANY_CONFIG`;
- staff (staff.py): `allowed_config_ids(connection, user_id)`, `allowed_user_ids(connection,
  config_id)`, `may_use_config(connection, account, config_id)`, `require_manager(config_id,
  action)` (a signed-in manager of that till, else the JSON 401/403), `staff_config_ids()`;
  `set_allowed_configs(connection, user_id, config_ids)`;
  what an autonomous till gets of its cashiers: `till_cashiers(connection, config_id, roles)`
  (PIN verifiers for that till, no password hash) and, on the till,
  `store_till_cashiers(connection, config_id, accounts, previous_logins)`;
- managers' approvals (approvals.py): `approval_for(config_id, action, approval)` (who
  approves, or the JSON refusal), `record_approval(connection, config_id, action, approved,
  session_id, order_uuid, details)` (kept and journaled), `approvals_of`, `APPROVAL_ACTIONS`;
  `received_approvals(connection, config_id, events, till_name)` (an autonomous till's
  approvals, from its journal events, kept here with their tickets: order_approvals.py);
- POS tokens: `issue_config_token` (this instance's, with the addons' claims), `issue_token`,
  `verify_token`, `PosToken`, `TokenError`;
- customers: `search_customers`, `create_customer` (from the template customer),
  `update_customer` (phone, e-mail), `retire_customer` ("deleted" | "retired"),
  `partner_json`; changes from tills recorded with the till and kept in scope:
  `record_customer_change(connection, partner_id, kind, source, fields=None)` (kinds `CREATED`,
  `EDITED`, `ABANDONED`), `check_abandon(connection, partner_id, source, window_seconds)`
  (only the creating till, soon after), `abandon_window(connection)`, `till_source(config_id)`
  (the source of a config's page or token); over HTTP
  (customer_http.py): `run_customer_change(change)` (one transaction, a Rejection turned into
  its JSON error) and `customer_refusal`;
- hooks other addons implement: `hookspecs.py` (`check_pos_order`, `extend_pos_data`,
  `extend_pos_token`, `pos_session_closed`, `pos_session_closed_committed`,
  `pos_config_form_links`, `pos_create_customer`, `pos_update_customer`,
  `pos_session_open_tills`).

Every other module of this package is private and may change without notice.
"""
from .access import (
    ANY_CONFIG,
    caller_config_scope,
    caller_credentials,
    require_config_access,
    require_manager,
    require_session_access,
    staff_config_ids,
)
from .approvals import ACTIONS as APPROVAL_ACTIONS
from .approvals import approval_for, approvals_of, record_approval
from .closing import session_report
from .customer_http import customer_refusal, run_customer_change
from .customers import (
    ABANDONED,
    CREATED,
    EDITED,
    abandon_window,
    check_abandon,
    create_customer,
    partner_json,
    record_customer_change,
    retire_customer,
    search_customers,
    till_source,
    update_customer,
)
from .journal import KINDS as JOURNAL_KINDS
from .journal import (
    JournalCheck,
    JournalEntry,
    canonical_details,
    canonical_event,
    event_link,
    journal_events,
    journal_head,
    record_event,
    verify_events,
    verify_journal,
)
from .journal import event_json as journal_event_json
from .ledger import (
    SEALED_TABLES,
    ZERO_LINK,
    ChainCheck,
    SealedEntry,
    anchor_numbers,
    canonical_form,
    chain_link,
    compare_links,
    config_writer,
    config_writer_key,
    config_writers,
    install_seal_guards,
    ledger_alarms,
    ledger_entries,
    ledger_head,
    ledger_links,
    receive_sealed_entries,
    resolve_ledger_alarm,
    sample_numbers,
    seal_record,
    set_config_writer,
    short_link,
    skip_numbers,
    skips_of,
    start_chain_after,
    take_sealed_configs,
    unsealed,
    verify_chain,
    verify_from_checkpoint,
    whose_copy_changed,
)
from .models import (
    CLOSED,
    CLOSING_CONTROL,
    OPENED,
    OPENING_CONTROL,
    Order,
    OrderLine,
    Partner,
    Payment,
    PosConfig,
    PosSession,
    Product,
)
from .order_approvals import received_approvals
from .orders import ParsedOrder, Rejection, compute_totals, parse_order, push_orders
from .past_orders import order_details
from .payment_methods import BUILT_IN_METHODS, PaymentMethod, check_payments, payment_methods
from .periodic import closings_of_config, run_due_closings
from .refunds import refunded_quantities
from .sessions import (
    SessionError,
    announce_closed,
    close_session,
    current_session,
    get_config,
    open_session,
)
from .staff import (
    allowed_config_ids,
    allowed_user_ids,
    may_use_config,
    set_allowed_configs,
    store_till_cashiers,
    till_cashiers,
)
from .tokens import PosToken, TokenError, issue_config_token, issue_token, verify_token

__all__ = [
    "ANY_CONFIG", "caller_config_scope", "caller_credentials", "require_config_access",
    "require_session_access", "require_manager", "staff_config_ids",
    "allowed_config_ids", "allowed_user_ids", "may_use_config", "set_allowed_configs",
    "store_till_cashiers",
    "till_cashiers",
    "APPROVAL_ACTIONS", "approval_for", "approvals_of", "record_approval", "received_approvals",
    "CLOSED", "CLOSING_CONTROL", "OPENED", "OPENING_CONTROL",
    "Order", "OrderLine", "Partner", "Payment", "PosConfig", "PosSession", "Product",
    "create_customer", "partner_json", "retire_customer", "search_customers", "update_customer",
    "record_customer_change", "check_abandon", "abandon_window", "till_source", "CREATED",
    "EDITED", "ABANDONED",
    "customer_refusal", "run_customer_change",
    "ZERO_LINK", "ChainCheck", "SealedEntry", "canonical_form", "chain_link", "ledger_entries",
    "ledger_head", "receive_sealed_entries", "seal_record", "verify_chain", "session_report",
    "ledger_alarms", "resolve_ledger_alarm", "SEALED_TABLES", "install_seal_guards", "unsealed",
    "order_details",
    "config_writer", "config_writer_key", "config_writers", "set_config_writer",
    "start_chain_after", "anchor_numbers", "compare_links", "ledger_links", "sample_numbers",
    "whose_copy_changed", "verify_from_checkpoint", "short_link", "take_sealed_configs",
    "skip_numbers", "skips_of",
    "JOURNAL_KINDS", "JournalCheck", "JournalEntry", "journal_events", "journal_head",
    "record_event", "verify_journal", "canonical_details", "canonical_event", "event_link",
    "verify_events", "journal_event_json", "closings_of_config", "run_due_closings",
    "ParsedOrder", "Rejection", "compute_totals", "parse_order", "push_orders",
    "BUILT_IN_METHODS", "PaymentMethod", "check_payments", "payment_methods", "refunded_quantities",
    "SessionError", "announce_closed", "close_session", "current_session", "get_config", "open_session",
    "PosToken", "TokenError", "issue_config_token", "issue_token", "verify_token",
]
