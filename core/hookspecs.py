"""Every hook an addon may implement.

An addon implements hooks in its ``hooks.py`` with ``from core import hookimpl``.
Most hooks return a list; the kernel flattens the lists of all installed addons.
An implementation may accept fewer arguments than the spec (pluggy's opt-in arguments).
"""
import pluggy

PROJECT = "comptoir"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ---------------------------------------------------------------------------
# Schema and data
# ---------------------------------------------------------------------------

@hookspec
def register_models():
    """Return the SQLAlchemy model classes (or Tables) this addon owns, so the kernel can check
    their table names and compare them with the addon's migrations."""


@hookspec
def register_system_parameters():
    """Return a list of dicts declaring system parameters, in the form of `system_parameters.yaml`
    entries (key, type, default, description), beside those of the addon's own
    `system_parameters.yaml` (next to its manifest), for parameters declared by code."""


@hookspec
def load_demo_data(connection):
    """Insert this addon's demo records through the SQLAlchemy `connection` (inside the install
    transaction); called by `core install --demo`. Return nothing."""


# ---------------------------------------------------------------------------
# Lifecycle
# ---------------------------------------------------------------------------

@hookspec
def post_install(connection):
    """Run once after this addon's migrations, inside the install transaction. Return nothing."""


@hookspec
def pre_uninstall(connection):
    """Run before this addon's tables are dropped, inside the uninstall transaction."""


# ---------------------------------------------------------------------------
# Web
# ---------------------------------------------------------------------------

@hookspec
def register_routes():
    """Return a list of Flask blueprints to register on the app."""


@hookspec
def configure_app(app):
    """Adjust the Flask `app` once its blueprints are registered (CORS, error handlers, ...)."""


@hookspec
def register_config_forms():
    """Return the `core.ConfigForm`s this addon owns (forms other addons may add config fields
    to), each with the keys the form uses itself, so that no field can take one of them."""


@hookspec
def register_config_fields(form):
    """Return the `core.ConfigField`s this addon adds to the admin form named `form`
    (for example ``"pos.config"``), or an empty list."""


@hookspec(firstresult=True)
def authenticate_user(connection, login, secret):
    """Return the id of user `login` when `secret` (typed in the sign-in form's password field)
    lets them in by this addon's own means, else None; asked only when the password does not
    match (point_of_sale: a till cashier's PIN on an autonomous till)."""


@hookspec
def register_user_scopes():
    """Return the `core.web.users.UserScope`s this addon restricts users to (point_of_sale:
    the POS configs a cashier or manager may work on), shown on the Users page and offered as
    `core user add --<name> VALUE ...`."""


@hookspec
def register_menu_links():
    """Return (label, endpoint) pairs: links this addon adds to the admin pages' header."""


@hookspec
def register_start_links(connection):
    """Return (label, path) pairs: the pages people start from on this instance (point_of_sale
    lists its tills), shown on the start page `/` and printed by `core serve`."""


@hookspec
def register_assets(page):
    """Return the URLs of scripts and stylesheets this addon adds to the page named `page`."""


@hookspec
def check_health(instance):
    """Return a list of `(name, problem)` pairs for `GET /web/health`: what this addon needs in
    order to serve (say, a listener connection), `problem` None when it works, else one line
    saying what does not. Any problem makes the answer 503. Keep it fast: checks come every few
    seconds."""


@hookspec
def audit_event(connection, kind, details):
    """Something an audit trail keeps happened on this instance, in `connection`'s transaction
    (which commits or rolls back with it): `kind` is `sign_in` / `sign_out` (details: `login`),
    `parameter_change` (details: `key`, `before`, `after`; a secret's values say `(hidden)`)
    or `stop` (a `core serve` process stops; details: `pid`). Record it (point_of_sale writes
    it in its journal of events); return nothing."""


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

@hookspec
def register_commands(cli):
    """Add click commands to the `core` command group `cli` (a click.Group). Return nothing."""


@hookspec
def register_setup_commands(cli):
    """Add click commands that work on a database where this addon is not installed yet (for
    example creating a database from a file this addon made elsewhere). Offered by every
    available addon; an installed addon's `register_commands` of the same name wins."""
