"""`core autonomous ...`: package, build-package, export, revoke, purge, journal (central); init, sync,
import, recover (till); status and test-connection (both). Each command calls its machine's side."""
import json
import os
import signal

import click

from core.cli import fail_cleanly, pass_instance
from core.errors import CoreError
from core.models import utc_now

from . import files, role, settings
from .central import builds, exports, tills
from .central import status as central_status
from .central.package import make_package
from .central.tracking import purge_tombstones
from .progress import progress_words
from .till import connection_test, install, server_address
from .till.client import SyncError
from .till.imports import import_from, import_loop
from .till.install import init_till
from .till.recover import RecoverError, recover
from .till.status import lines as till_lines
from .till.status import till_status
from .till.synchroniser import Synchroniser, request_full_import


@click.group()
def autonomous():
    """Autonomous tills: packages, the synchroniser, its status."""


@autonomous.command()
@click.argument("config_ids", metavar="CONFIG_ID [CONFIG_ID ...]", type=int, nargs=-1,
                required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The package file to write.")
@click.option("--server", "server_url", metavar="URL",
              help="The address the till reaches this server at (default: the parameter "
                   "pos_autonomous.server_url).")
@click.option("--cashier", "cashiers", multiple=True, metavar="LOGIN",
              help="A user who may sign in on the till (repeat for several).")
@click.option("--name", help="The till's name (default: the config's).")
@pass_instance
@fail_cleanly
def package(instance, config_ids, output, server_url, cashiers, name):
    """Register a till for CONFIG_ID and write its package (central instance). Several
    CONFIG_IDs: a shop, one instance serving them all (their browser tills open
    /pos/ui/<config> on it)."""
    with instance.engine.connect() as connection:
        server_url = server_url or settings.read(instance, connection)[settings.SERVER_URL]
    started = utc_now()
    till_id = make_package(instance, list(config_ids), output, server_url, cashiers, name,
                           say=click.echo, progress=lambda done, total: click.echo(
                               f"copied {progress_words(done, total, started)}"))
    if len(config_ids) == 1:
        click.echo(f"Till {till_id} of POS config {config_ids[0]}: package written to "
                   f"{output}.")
    else:
        click.echo(f"Shop (till {till_id}) of POS configs "
                   f"{', '.join(map(str, config_ids))}: package written to {output}.")


@autonomous.command("build-package", hidden=True)
@click.argument("build_id", type=int)
@pass_instance
@fail_cleanly
def build_package(instance, build_id):
    """Make the package of a build the central admin asked for (started by its request; the
    progress goes into the build's row, which the admin page reads)."""
    till_id = builds.run_build(instance, build_id, say=click.echo)
    click.echo(f"Build {build_id}: package of till {till_id} ready.")


@click.group("autonomous")
def setup_group():
    """Autonomous tills: create a till from its package."""


@autonomous.command()
@click.argument("package_file", type=click.Path(exists=True, dir_okay=False))
@pass_instance
@fail_cleanly
def init(instance, package_file):
    """Create this till's database from PACKAGE_FILE."""
    row = init_till(instance, package_file)
    with instance.engine.connect() as connection:
        config_ids = role.config_ids(connection)
    for line in install.next_steps(instance.url, row, config_ids):
        click.echo(line)


setup_group.add_command(init)


@autonomous.command()
@click.option("--once", is_flag=True, help="One pass, then exit (non-zero if it failed).")
@pass_instance
@fail_cleanly
def sync(instance, once):
    """Synchronise this till with the central instance, in a loop (till)."""
    try:
        synchroniser = Synchroniser(instance, say=click.echo)
    except SyncError as exc:
        raise CoreError(str(exc)) from None
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        synchroniser.run(once=once, should_stop=lambda: bool(stopping))
    except SyncError as exc:
        raise CoreError(f"synchronisation failed: {exc}") from None
    finally:
        synchroniser.close()


@autonomous.command("recover")
@click.option("--config", "config_ids", type=int, multiple=True,
              help="Only this config (repeat for several); default: every config of the till.")
@pass_instance
@fail_cleanly
def recover_command(instance, config_ids):
    """A till whose database went back (restored from an older copy, its last tickets deleted:
    it refuses to sell, database_behind): take back from the central instance the tickets it
    holds, skip the numbers lost for good (journaled), go on after the highest number ever
    issued (till; docs/ledger.md)."""
    try:
        recover(instance, say=click.echo, config_ids=list(config_ids) or None)
    except (RecoverError, SyncError) as exc:
        raise CoreError(f"recovery stopped: {exc}") from None


IMPORT_SOURCE_VARIABLE = "POS_AUTONOMOUS_IMPORT_SOURCE"  # import --loop's target, for a service


@autonomous.command("import")
@click.option("--full", is_flag=True, help="Reload every table from scratch (over HTTP).")
@click.option("--from", "source", metavar="FOLDER|FTP-URL",
              help="Apply the exported pages found there instead of asking over HTTP.")
@click.option("--loop", is_flag=True, help="With --from: keep importing the new files every "
              "--interval seconds until stopped (SIGTERM, Ctrl-C); a bad file is said and "
              "skipped, the loop goes on. Without --from, the environment variable "
              "POS_AUTONOMOUS_IMPORT_SOURCE names the target (an FTP password stays off the "
              "command line).")
@click.option("--interval", "interval_s", type=click.IntRange(1, 86_400), default=60,
              show_default=True, help="Seconds between two rounds of --loop.")
@pass_instance
@fail_cleanly
def import_command(instance, full, source, loop, interval_s):
    """Import now: a full reload over HTTP (--full) or the exports of a folder or FTP server
    (--from), once or in a loop (till)."""
    if loop and not source:
        source = os.environ.get(IMPORT_SOURCE_VARIABLE)
    if bool(full) == bool(source):
        raise CoreError("say --full (over HTTP) or --from FOLDER|ftp://user:password@host/dir")
    if loop and not source:
        raise CoreError("--loop imports files: say --from FOLDER|ftp://user:password@host/dir")
    if loop:
        _import_loop(instance, source, interval_s)
    elif source:
        count = import_from(instance, source, say=click.echo)
        click.echo(f"{count} exported page(s) applied.")
    else:
        _full_import(instance)


def _import_loop(instance, source, interval_s):
    click.echo(f"Importing the new files of {files.target(source).label} every {interval_s} s "
               "(stop with Ctrl-C or SIGTERM).")
    try:
        import_loop(instance, source, interval_s, say=click.echo,
                    should_stop=_stop_requests())
    except KeyboardInterrupt:
        pass
    click.echo("Import loop stopped.")


def _stop_requests():
    """What a loop asks between two rounds: has SIGTERM or a first Ctrl-C come? A stop taken
    between rounds leaves nothing half-done and always ends cleanly (an interrupt raised
    mid-round could land anywhere, even in the interpreter's exit); a second Ctrl-C interrupts
    at once."""
    stopping = []

    def stop(signum, _frame):
        stopping.append(signum)
        if signum == signal.SIGINT:
            signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return lambda: bool(stopping)


def _full_import(instance):
    names = request_full_import(instance)
    click.echo(f"Full import of {', '.join(names)}.")
    synchroniser = Synchroniser(instance, say=click.echo)
    try:
        synchroniser.run(once=True)
    except SyncError as exc:
        raise CoreError(f"the full import will go on at the next synchronisation: {exc}"
                        ) from None


@autonomous.command("export")
@click.argument("config_id", type=int)
@click.option("--to", "location", required=True, envvar="POS_AUTONOMOUS_EXPORT_TARGET",
              metavar="FOLDER|FTP-URL",
              help="A folder, or ftp://user:password@host:port/folder (default: the "
                   "environment variable POS_AUTONOMOUS_EXPORT_TARGET, which keeps a password "
                   "off the command line).")
@click.option("--full", is_flag=True, help="A full export (else the changes since the last "
                                           "export to that target).")
@click.option("--loop", is_flag=True, help="Export the changes again every "
              "pos_autonomous.export_interval_s seconds until stopped (SIGTERM); a run of its "
              "own, e.g. a systemd service (docs/deploy.md).")
@pass_instance
@fail_cleanly
def export_command(instance, config_id, location, full, loop):
    """Write the data of CONFIG_ID's tills as files into a folder or onto an FTP server
    (central). Each export is recorded for the central admin (last export, last error)."""
    if loop:
        if full:
            raise CoreError("--full and --loop: run one --full export first, then the loop "
                            "(its first export to a new target is a full one anyway)")
        try:
            exports.export_loop(instance, config_id, location, say=click.echo,
                                should_stop=_stop_requests())
        except KeyboardInterrupt:
            pass
        return
    written, was_full = exports.run_export(instance, config_id, location, full=full)
    click.echo(f"{'Full export' if was_full else 'Changes'}: {len(written)} file(s) written "
               f"({written[0]} ... {written[-1]}).")


@autonomous.command("test-connection")
@click.argument("location", metavar="FOLDER|FTP-URL", required=False)
@click.option("--central", is_flag=True, help="Test this till's connection to its central "
              "server instead: address, credentials, clock, versions (exit 1 if one fails).")
@pass_instance
@fail_cleanly
def test_connection_command(instance, location, central):
    """Download test.txt from a folder or FTP server, as the admin's Test connection does; or,
    with --central, test this till's connection to its central server."""
    if bool(location) == bool(central):
        raise CoreError("say FOLDER|FTP-URL (files) or --central (this till's central server)")
    if central:
        checks = connection_test.test_central(instance)
        for line in connection_test.lines(checks):
            click.echo(line)
        if not all(check.ok for check in checks):
            raise click.exceptions.Exit(1)
        return
    size = files.test_connection(location)
    click.echo(f"Connection works: {files.TEST_FILE} downloaded ({size} bytes).")


@autonomous.command("server-address")
@click.argument("url", required=False)
@pass_instance
@fail_cleanly
def server_address_command(instance, url):
    """Show this till's central server address, or change it to URL (journaled, with the old
    and the new address; the synchroniser uses it from its next pass)."""
    if url is None:
        with instance.engine.connect() as connection:
            link = role.link(connection)
        if link is None:
            raise CoreError("this database is not an autonomous till")
        click.echo(link.server_url)
        return
    old, new = server_address.change(instance, url, changed_by="command line")
    click.echo(f"Server address changed from {old} to {new}." if old != new
               else f"The server address is already {new}.")


@autonomous.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@pass_instance
@fail_cleanly
def status(instance, as_json):
    """The synchroniser's state: last success, last error, checkpoints, imports under way (a
    till); the tills and the exports (the central instance)."""
    with instance.engine.connect() as connection:
        state = till_status(connection)
        central = central_status.overview(connection) if state["role"] == role.CENTRAL else None
    if as_json:
        click.echo(json.dumps({**state, **central_status.as_json(*central)} if central
                              else state, indent=2))
        return
    for line in central_status.lines(*central) if central else till_lines(state):
        click.echo(line)


@autonomous.command("journal")
@click.argument("till_id", type=int)
@click.option("--after", type=int, default=0, help="Events numbered after this one.")
@click.option("--limit", type=int, default=500, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the events as JSON.")
@pass_instance
@fail_cleanly
def journal_command(instance, till_id, after, limit, as_json):
    """TILL_ID's chained journal of technical events as the central instance received it (its
    numbers, times, kinds and links as sealed on the till), and whether it links."""
    import addons.point_of_sale as point_of_sale

    from .central import receive
    with instance.engine.connect() as connection:
        events = receive.till_journal(connection, till_id, after, limit)
    if as_json:
        click.echo(json.dumps(events, indent=2))
        return
    previous = events[0]["previous_link"] if events and after else point_of_sale.ZERO_LINK
    checked, broken, reason, _last = point_of_sale.verify_events(
        [{k: v for k, v in e.items() if k != "till_id"} for e in events], previous, after + 1)
    for event in events:
        config = f" config {event['config_id']}" if event["config_id"] is not None else ""
        click.echo(f"{event['number']:>6}  {event['at']}  {event['kind']}{config}  "
                   f"{json.dumps(event['details'], sort_keys=True)}  {event['link'][:12]}")
    click.echo(f"{len(events)} event(s) of till {till_id}; "
               + (f"chain intact ({checked} checked)" if broken is None
                  else f"the chain breaks at event {broken}: {reason}"))


@autonomous.command()
@click.argument("till_id", type=int)
@pass_instance
@fail_cleanly
def revoke(instance, till_id):
    """Refuse TILL_ID's credentials from now on (central instance)."""
    with instance.engine.begin() as connection:
        tills.revoke(connection, till_id)
    click.echo(f"Till {till_id} is revoked.")


@autonomous.command()
@click.argument("config_id", type=int)
@click.option("--to-central", is_flag=True, required=True,
              help="This server writes the config's tickets again.")
@click.option("--reason", required=True, help="Why (kept in the journal).")
@pass_instance
@fail_cleanly
def move(instance, config_id, to_central, reason):
    """Move CONFIG_ID's tickets back to this server (central instance), journaled: its next
    ticket follows the last one the till pushed. To move a config to a till or a replacement
    till, make that till's package (revoke the one it replaces first)."""
    with instance.engine.begin() as connection:
        number, _link = tills.move_to_central(connection, config_id, reason)
    click.echo(f"Config {config_id} is served by this server again; its next ticket is "
               f"{number + 1}.")


@autonomous.command()
@pass_instance
@fail_cleanly
def purge(instance):
    """Forget tombstones older than pos_autonomous.tombstone_retention_days (central)."""
    with instance.engine.begin() as connection:
        days = settings.read(instance, connection)[settings.TOMBSTONE_RETENTION_DAYS]
        count = purge_tombstones(connection, days)
    click.echo(f"{count} tombstone(s) older than {days} days purged.")
