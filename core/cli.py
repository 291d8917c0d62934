"""The `core` command: a thin layer over `core.instance.Instance` and stock Alembic commands."""
import json
import os
import re
import shlex
import sys
from pathlib import Path

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from core.db import resolve_url
from core.errors import CoreError
from core.i18n import _
from core.instance import Instance
from core.plugins import make_plugin_manager

# The commands that may start from no database at all: they create it. The others need an
# instance that exists, and never leave an empty SQLite file behind a typo.
CREATING_COMMANDS = {"init", "install", "param", "user", "revision"}
# Where `make demo` puts its database (the repository's folder, as DEMO_DB says).
DEMO_DATABASE = Path(__file__).resolve().parent.parent / "demo.db"


def missing_sqlite_file(url):
    """The path of the SQLite file `url` names when that file does not exist, else None."""
    try:
        parsed = make_url(resolve_url(url))
    except ArgumentError:
        return None  # Instance() says what is wrong with it
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


def demo_hint(url):
    """Where the demo's database is, when it exists and `url` is not it."""
    parsed = make_url(resolve_url(url))
    for path in (Path("demo.db"), DEMO_DATABASE):
        if path.exists() and (parsed.get_backend_name() != "sqlite"
                              or Path(parsed.database or "").resolve() != path.resolve()):
            return (f"The demo's database (make demo) is {path}: add --db sqlite:///{path} "
                    f"(or set CORE_DB=sqlite:///{path}).")
    return ""


class CoreGroup(click.Group):
    """Built-in commands plus those installed addons add through `register_commands`."""

    def _addon_commands(self, ctx):
        if missing_sqlite_file(ctx.params.get("db")) is not None:
            return {}  # reading it would create an empty database file
        try:
            instance = Instance(ctx.params.get("db"))
            group = click.Group()
            instance.plugin_manager().hook.register_commands(cli=group)
            return group.commands
        except Exception:  # no database yet, or it cannot be read: built-in commands only
            return {}

    def _setup_commands(self, ctx):
        try:
            catalog = Instance(ctx.params.get("db")).catalog
            addons = [catalog.addons[name] for name in catalog.ordered(catalog.names())]
            group = click.Group()
            make_plugin_manager(addons).hook.register_setup_commands(cli=group)
            return group.commands
        except Exception:  # an available addon that cannot load: built-in commands only
            return {}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self._addon_commands(ctx)))

    def get_command(self, ctx, name):
        # An installed addon's command wins over the setup command of the same name (a till's
        # `core autonomous` group has more than the `init` an empty database is offered).
        return (super().get_command(ctx, name) or self._addon_commands(ctx).get(name)
                or self._setup_commands(ctx).get(name))

    def resolve_command(self, ctx, args):
        name = args[0] if args else None
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            raise click.ClickException(self._unknown_command(ctx, name))
        return super().resolve_command(ctx, args)

    def _unknown_command(self, ctx, name):
        """Which database was read, what it lacks, and where the command would be found."""
        url = ctx.params.get("db")
        shown = _safe(resolve_url(url))
        missing = missing_sqlite_file(url)
        if missing is not None:
            where = f"the database {shown} does not exist (no file {missing})"
        else:
            try:
                installed = ", ".join(Instance(url).installed()) or "none"
                where = (f"no addon installed in the database {shown} provides it "
                         f"(installed: {installed})")
            except Exception as exc:  # whatever stops it from being read is named
                where = f"the database {shown} cannot be read ({exc.__class__.__name__})"
        providers = self._providers(ctx, name)
        provided = (f" The addon {' or '.join(providers)} provides it: core install "
                    f"{providers[0]}." if providers else "")
        return " ".join(filter(None, [f"no command {name!r}: {where}.{provided}",
                                      demo_hint(url), "Commands: core --help."]))

    def _providers(self, ctx, name):
        """The available addons whose `register_commands` adds `name`."""
        try:
            catalog = Instance(ctx.params.get("db")).catalog
            manager = make_plugin_manager(
                [catalog.addons[n] for n in catalog.ordered(catalog.names())])
        except Exception:  # an available addon that cannot load: say nothing
            return []
        found = []
        for impl in manager.hook.register_commands.get_hookimpls():
            group = click.Group()
            impl.function(**{arg: group for arg in impl.argnames})
            if name in group.commands:
                found.append(impl.plugin_name)
        return found


def fail_cleanly(function):
    """Print a CoreError, or a database that cannot be reached, as one line and exit 1."""
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except CoreError as exc:
            raise click.ClickException(str(exc)) from None
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[-1] if exc.orig else str(exc)
            raise click.ClickException(_("cannot use the database: %(reason)s", reason=reason)
                                       + createdb_hint(reason, args)) from None
    wrapper.__name__, wrapper.__doc__ = function.__name__, function.__doc__
    return wrapper


MISSING_DATABASE = re.compile(r'database "([^"]+)" does not exist')


def createdb_hint(reason, args=()):
    """What to run when PostgreSQL says the database does not exist: the kernel creates tables,
    not PostgreSQL databases (SQLite files it does create)."""
    match = MISSING_DATABASE.search(reason)
    if match is None:
        return ""
    url = next((arg.engine.url for arg in args if isinstance(arg, Instance)), None)
    options = "".join(f" {flag} {shlex.quote(str(value))}" for flag, value in (
        ("-h", url and url.host), ("-p", url and url.port), ("-U", url and url.username))
        if value)
    return (f". Create it first (core creates the tables, not a PostgreSQL database): "
            f"createdb{options} {shlex.quote(match.group(1))}, then run this command again.")


pass_instance = click.make_pass_decorator(Instance)


@click.group(cls=CoreGroup)
@click.option("--db", envvar="CORE_DB", metavar="URL",
              help="Database URL (default: $CORE_DB, else sqlite:///core.db here).")
@click.pass_context
@fail_cleanly
def cli(ctx, db):
    """Comptoir's core: install addons, manage parameters, serve the web app."""
    missing = missing_sqlite_file(db)
    if (missing is not None and ctx.invoked_subcommand not in CREATING_COMMANDS
            and ctx.invoked_subcommand not in ctx.command._setup_commands(ctx)):
        raise CoreError(" ".join(filter(None, [
            f"the database {_safe(resolve_url(db))} does not exist (no file {missing}); "
            "core init or core install creates it.", demo_hint(db)])))
    ctx.obj = Instance(db)


@cli.command()
@pass_instance
@fail_cleanly
def init(instance):
    """Create (or bring up to date) the kernel's tables in the database."""
    instance.init()
    click.echo(f"Database {instance.db_name!r} is ready ({_safe_url(instance)}).")


@cli.command()
@click.option("--demo", is_flag=True, help="Also load the addons' demo data.")
@click.option("--all", "everything", is_flag=True, help="Install every available addon.")
@click.argument("addons", nargs=-1)
@pass_instance
@fail_cleanly
def install(instance, addons, demo, everything):
    """Install ADDONS and the addons they depend on."""
    if everything:
        addons = instance.catalog.names()
        if not addons:
            click.echo("No addon is available to install.")
            return
    elif not addons:
        raise CoreError("name the addons to install (`core list` shows them), or use --all")
    done = instance.install(list(addons), demo=demo, progress=click.echo)
    if done:
        click.echo(f"Installed: {', '.join(done)}.")
    else:
        click.echo(f"Nothing to do: {', '.join(addons) or 'no addon'} already installed.")


@cli.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.argument("addons", nargs=-1, required=True)
@pass_instance
@fail_cleanly
def uninstall(instance, addons, yes):
    """Uninstall ADDONS and every addon that depends on them; their tables are dropped."""
    plan = instance.plan_uninstall(list(addons))
    click.echo(f"This drops the tables and settings of: {', '.join(plan)}.")
    if not yes and not click.confirm("Uninstall?", default=False):
        raise click.ClickException("cancelled; nothing was uninstalled")
    instance.uninstall(list(addons), progress=click.echo)
    click.echo(f"Uninstalled: {', '.join(plan)}.")


@cli.command()
@pass_instance
@fail_cleanly
def upgrade(instance):
    """Apply pending migrations of the kernel and installed addons (after a code update)."""
    done = instance.upgrade(progress=click.echo)
    click.echo(f"Upgraded: {', '.join(done)}." if done else "Everything is up to date.")


@cli.command("list")
@pass_instance
@fail_cleanly
def list_addons(instance):
    """List available addons with their state."""
    installed = instance.installed()
    for addon in instance.catalog.addons.values():
        state = "installed" if addon.name in installed else "available"
        click.echo(f"{addon.name:32} {state:10} {addon.manifest.version:8} {addon.manifest.summary}")
    for name in sorted(set(installed) - set(instance.catalog.addons)):
        click.echo(f"{name:32} {'missing':10} {installed[name]:8} installed, but no longer available")


@cli.command()
@pass_instance
@fail_cleanly
def check(instance):
    """Check that installed addons' migrations build exactly their models."""
    problems = [f"{name}: {problem}" for name in instance.installed()
                for problem in instance.schema_problems(name)]
    for line in problems:
        click.echo(line)
    if problems:
        raise CoreError(f"{len(problems)} schema problem(s) found")
    click.echo("Schema matches the models of every installed addon.")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_instance
@fail_cleanly
def info(instance, as_json):
    """Show the database URL, its name (the db_name channels use) and the installed addons."""
    data = {"database_url": _safe_url(instance), "db_name": instance.db_name,
            "initialised": instance.is_initialised(), "installed": instance.installed()}
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"database url: {data['database_url']}")
    click.echo(f"db_name:      {data['db_name']}")
    addons = ", ".join(f"{n} {v}" for n, v in data["installed"].items())
    click.echo(f"installed:    {addons or 'none'}")


@cli.group()
def param():
    """Read and change system parameters."""


@param.command("list")
@pass_instance
@fail_cleanly
def param_list(instance):
    """List every declared parameter with its current value."""
    instance.init()
    with instance.engine.connect() as connection:
        for spec, value in instance.parameters(connection).items():
            click.echo(f"{spec.key} = {'(hidden)' if spec.secret else value}    # {spec.description}")


@param.command("get")
@click.argument("key")
@pass_instance
@fail_cleanly
def param_get(instance, key):
    """Print the value of KEY."""
    instance.init()
    with instance.engine.connect() as connection:
        click.echo(instance.parameters(connection).raw(key))


@param.command("set")
@click.argument("key")
@click.argument("value")
@pass_instance
@fail_cleanly
def param_set(instance, key, value):
    """Set KEY to VALUE (checked against the declared type)."""
    instance.init()
    from core.params import audit_parameter_change
    manager = instance.plugin_manager()
    with instance.engine.begin() as connection:
        parameters = instance.parameters(connection, manager)
        before = parameters.raw(key)
        stored = parameters.set(key, value)
        audit_parameter_change(connection, manager, parameters.spec(key), before, stored)
    # A secret stays off the terminal (and its scrollback, and CI logs).
    click.echo(f"{key} = {'(hidden)' if parameters.spec(key).secret else stored}")


class UserGroup(click.Group):
    """`core user`: its `add` takes one option per `UserScope` the installed addons declare
    (point_of_sale: `--pos CONFIG_ID`), so the kernel itself names none."""

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if name != "add" or command is None:
            return command
        scopes = _installed_user_scopes(ctx.find_root().params.get("db"))
        extra = [click.Option([f"--{scope_name}"], multiple=True, metavar="VALUE",
                              help=f"{scope.help} (repeat for several)")
                 for scope_name, scope in scopes.items()]
        return click.Command(command.name, params=[*command.params, *extra],
                             callback=command.callback, help=command.help)


def _installed_user_scopes(db):
    """The `UserScope`s of the addons installed in `db` (none when it cannot be read yet)."""
    from core.web.users import user_scopes
    if missing_sqlite_file(db) is not None:
        return {}
    try:
        return user_scopes(Instance(db).plugin_manager())
    except Exception:  # no database yet: a first admin is made before any addon
        return {}


@cli.group(cls=UserGroup)
def user():
    """Manage the people who may sign in: cashiers, managers and admins."""


@user.command("add")
@click.argument("login")
@click.option("--password", envvar="CORE_ADMIN_PASSWORD", prompt=True, hide_input=True,
              confirmation_prompt=True, help="Default: $CORE_ADMIN_PASSWORD, else asked.")
@click.option("--role", type=click.Choice(["cashier", "manager", "admin"]),
              help="cashier, manager or admin (a new user: admin unless said).")
@pass_instance
@fail_cleanly
def user_add(instance, login, password, role, **scope_values):
    """Create LOGIN, or change their password (and role, and scopes, when given)."""
    from core.web.users import set_password, user_id_of, user_scopes
    instance.init()
    scopes = user_scopes(instance.plugin_manager())
    with instance.engine.begin() as connection:
        created = set_password(connection, login, password, role)
        user_id = user_id_of(connection, login)
        for name, values in scope_values.items():
            if values or created:
                scopes[name].write(connection, user_id, [str(v) for v in values])
    if role:
        click.echo(_("Created %(login)s (%(role)s).", login=login.strip(), role=role) if created
                   else _("Updated %(login)s (%(role)s).", login=login.strip(), role=role))
    else:
        click.echo(_("Created %(login)s.", login=login.strip()) if created
                   else _("Updated %(login)s.", login=login.strip()))


@user.command("list")
@pass_instance
@fail_cleanly
def user_list(instance):
    """Every user: login, role, and what addons restrict them to."""
    from core.web.users import list_users, user_scopes
    scopes = user_scopes(instance.plugin_manager())
    with instance.engine.connect() as connection:
        for row in list_users(connection):
            restricted = "".join(f"  {name}: {', '.join(scope.read(connection, row.id)) or '-'}"
                                 for name, scope in scopes.items())
            click.echo(f"{row.login}  {row.role}{restricted}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8069, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Processes; more than one needs PostgreSQL.")
@pass_instance
@fail_cleanly
def serve(instance, host, port, workers):
    """Serve the web app under gevent (gunicorn with gevent workers when --workers > 1)."""
    instance.init()
    env = {**os.environ, "CORE_DB": instance.url}
    if workers == 1:
        command = [sys.executable, "-m", "core.server", "--host", host, "--port", str(port)]
    else:
        if instance.engine.dialect.name == "sqlite":
            raise CoreError("--workers > 1 needs PostgreSQL (SQLite holds one writer and the "
                            "in-memory bus does not cross processes); use --db postgresql://...")
        from core.access_log import GUNICORN_ARGUMENTS
        command = [sys.executable, "-m", "gunicorn",
                   "--worker-class", "core.gunicorn_worker.GeventWorker",
                   "--workers", str(workers), "--bind", f"{host}:{port}",
                   *GUNICORN_ARGUMENTS, "core.server:wsgi_app()"]
        from core.web.start import served_addresses
        click.echo(served_addresses(instance, f"http://{host}:{port}"))
    os.execvpe(command[0], command, env)


@cli.command()
@click.argument("addon")
@click.option("-m", "--message", required=True, help="What the revision does.")
@click.option("--autogenerate", is_flag=True, help="Diff the models against the database.")
@pass_instance
@fail_cleanly
def revision(instance, addon, message, autogenerate):
    """Create a new migration in ADDON's migrations/versions (a developer tool)."""
    from alembic import command

    from core import schema
    target = instance.catalog.get(addon)
    target.import_submodule("models")  # so autogenerate sees them
    versions = target.path / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    script = schema.script_directory(instance.catalog)
    first = not schema.has_branch(script, addon)
    with instance.engine.begin() as connection:
        config = schema.alembic_config(instance.catalog, connection)
        config.set_main_option("version_locations", config.get_main_option("version_locations")
                               + os.pathsep + str(versions))
        command.revision(config, message=message, autogenerate=autogenerate,
                         head="base" if first else f"{addon}@head",
                         branch_label=addon if first else None, version_path=str(versions))


def _safe_url(instance):
    return instance.engine.url.render_as_string(hide_password=True)


def _safe(url):
    return make_url(url).render_as_string(hide_password=True)


def main():
    from core.i18n import use_environment_locale
    use_environment_locale()  # LC_ALL, LC_MESSAGES, LANG: the manager's language, else English
    cli(prog_name="core")
