"""The wire format both machines speak (README: the pull protocol, Up): the routes, a table's
position and checkpoint, the page sizes, a push batch's limits and the statuses of its
acknowledgements (moments travel as core.times.utc_iso writes them). The central side
(central/) answers with it, the till (till/) asks and applies with it; neither side defines
these names again."""
PULL = "/pos_autonomous/pull"
PUSH = "/pos_autonomous/push"
CUSTOMERS = "/pos_autonomous/customers"
RECOVER = "/pos_autonomous/recover"  # a till taking back its config's entries (#24 item 4)
RECOVER_SKIP = "/pos_autonomous/recover/skip"  # ... and saying which numbers were lost
HELLO = "/pos_autonomous/hello"  # *Test connection*: credentials, the central's clock, versions

# The version of this wire format: a till and a central that speak the same one understand each
# other, whatever their addons' versions (a table whose columns differ is reloaded alone). Raise
# it when a change breaks what the other side expects.
PROTOCOL = 1

# -- pages and checkpoints (down) ------------------------------------------------------------

# A table's position, as the till asks from it and as a page's checkpoint says where it goes:
# {"mode": INCREMENTAL, "version": V} or {"mode": FULL, "snapshot": S, "after": K}. The kinds of
# a *Tables to synchronise* row are the same two words.
INCREMENTAL, FULL = "incremental", "full"
KINDS = (INCREMENTAL, FULL)
NEW_TABLE = {"mode": FULL, "snapshot": None, "after": None}  # a table the till never had
DEFAULT_PAGE_SIZE = 10000  # as the till's pos_autonomous.page_size (its system_parameters.yaml)
MAX_PAGE_SIZE = 10000


def after_page(positions, checkpoints):
    """Where the till stands once it applied a page whose parts carry `checkpoints`
    ({table name: checkpoint}, which it writes with the page's rows)."""
    return {**positions, **checkpoints}


# -- batches and acknowledgements (up) -------------------------------------------------------

MAX_ENTRIES = 1000  # per batch
MAX_SESSIONS = 200
MAX_EVENTS = 1000
ENTRY_KINDS = ("order", "closing")
CUSTOMER_TABLE = "point_of_sale.partner"  # the declared table customers go up as

STORED, DUPLICATE, GAP, BROKEN, CONFLICT, INVALID, NOT_APPLIED = (
    "stored", "duplicate", "gap", "broken", "conflict", "invalid", "not_applied")
ACKNOWLEDGED = (STORED, DUPLICATE)  # the entry is held by the central instance
REFUSALS = (GAP, BROKEN, CONFLICT, INVALID)
