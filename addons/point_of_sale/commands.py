"""`core pos open|close|verify|journal CONFIG_ID` and `core token CONFIG_ID`."""
import json
from decimal import Decimal

import click

from core.cli import fail_cleanly, pass_instance
from core.i18n import _, ngettext

from . import journal, sessions
from .ledger_check import self_check, verify_from_checkpoint
from .tokens import issue_config_token


@click.group()
def pos():
    """Open and close POS sessions; verify a config's ticket chain; read the journal of events."""


@pos.command("open")
@click.argument("config_id", type=int)
@pass_instance
@fail_cleanly
def open_command(instance, config_id):
    """Open a session for CONFIG_ID; print its id."""
    with instance.engine.begin() as connection:
        click.echo(sessions.open_session(connection, config_id))


@pos.command("close")
@click.argument("config_id", type=int)
@click.option("--counted-cash", type=click.FloatRange(min=0, max=1e9), default=None,
              help="The cash counted in the drawer (kept with the closing, against the "
                   "expected cash).")
@pass_instance
@fail_cleanly
def close_command(instance, config_id, counted_cash):
    """Close CONFIG_ID's session (closing control, then closed) and seal its closing; print
    its id."""
    manager = instance.plugin_manager()
    counted = None if counted_cash is None else Decimal(str(counted_cash)).quantize(
        Decimal("0.01"))
    with instance.engine.begin() as connection:
        session_id = sessions.close_session(connection, config_id, manager,
                                            counted_cash=counted)
    sessions.announce_closed(instance.engine, manager, session_id, config_id)
    click.echo(session_id)


@pos.command("verify")
@click.argument("config_id", type=int)
@click.option("--full", is_flag=True, help="Check every ticket from ticket 1, not only those "
                                           "sealed since the last verified checkpoint.")
@pass_instance
@fail_cleanly
def verify_command(instance, config_id, full):
    """Re-check CONFIG_ID's ticket chain from its verified checkpoint (the checkpoint's ticket
    and every ticket since; from ticket 1 with --full or the first time) and the instance's
    journal of events (and the tills' journals it received) from event 1; name the first broken
    link (exit 1)."""
    with instance.engine.begin() as connection:
        config = sessions.get_config(connection, config_id)
        check = verify_from_checkpoint(connection, config_id, full)
        journal_checks = [(chain, journal.verify_journal(connection, chain))
                          for chain in journal.chains(connection)]
    _say_ticket_check(config, check)
    broken_journals = [_say_journal_check(chain, result) for chain, result in journal_checks]
    if not check.ok or any(broken_journals):
        with instance.engine.begin() as connection:
            journal.record_event(connection, journal.VERIFY_FAILED, config_id,
                                 tickets=None if check.ok else check.reason,
                                 journals={chain: result.reason for chain, result
                                           in journal_checks if not result.ok})
        raise SystemExit(1)


def _say_ticket_check(config, check):
    """The chain's verdict: on stdout when intact, on stderr naming the first broken ticket."""
    unsealed = ("; " + ngettext("%(num)d order stored before the ledger existed is unnumbered",
                                "%(num)d orders stored before the ledger existed are unnumbered",
                                check.unsealed) if check.unsealed else "")
    if check.ok:
        click.echo(_("%(config)s: OK, %(reason)s", config=config.name, reason=check.reason)
                   + unsealed)
    else:
        click.echo(_("%(config)s: BROKEN at ticket %(ticket)s: %(reason)s (%(checked)s tickets "
                     "before it are intact)", config=config.name, ticket=check.first_broken,
                     reason=check.reason, checked=check.checked) + unsealed, err=True)


def _say_journal_check(chain, result):
    """One journal's verdict, said; return whether it is broken."""
    name = _("Journal") if chain == journal.LOCAL else _("Journal %(chain)s", chain=chain)
    if result.ok:
        click.echo(_("%(name)s: OK, %(reason)s", name=name, reason=result.reason))
        return False
    click.echo(_("%(name)s: BROKEN at event %(event)s: %(reason)s (%(checked)s events "
                 "before it are intact)", name=name, event=result.first_broken,
                 reason=result.reason, checked=result.checked), err=True)
    return True


@pos.command("watch")
@click.option("--once", is_flag=True, help="One pass, then exit (1 if it found something).")
@click.option("--interval", type=click.IntRange(min=1), default=None,
              help="Seconds between passes (default point_of_sale.ledger_check_interval).")
@click.option("--full-every", type=click.IntRange(min=1), default=None,
              help="Seconds between full passes from ticket 1 (default "
                   "point_of_sale.ledger_full_check_interval).")
@pass_instance
@fail_cleanly
def watch_command(instance, once, interval, full_every):
    """Check this server's own ticket chains on a schedule: each pass from the verified
    checkpoints (what was sealed since), from ticket 1 at the slower full cadence or when sealed
    rows were unlocked or their triggers are gone. What it finds is an alarm (admin, journal)."""
    import time
    from datetime import timedelta
    with instance.engine.connect() as connection:
        parameters = instance.parameters(connection)
        interval = interval or parameters.get("point_of_sale.ledger_check_interval")
        full_every = full_every or parameters.get("point_of_sale.ledger_full_check_interval")
    while True:
        with instance.engine.begin() as connection:
            results = self_check(connection, timedelta(seconds=full_every))
        for config_id, check in results.items():
            line = f"config {config_id}: " + (f"OK, {check.reason}" if check.ok else
                                              f"BROKEN at ticket {check.first_broken}: "
                                              f"{check.reason}")
            click.echo(line, err=not check.ok)
        if once:
            if not all(check.ok for check in results.values()):
                raise SystemExit(1)
            return
        time.sleep(interval)


@pos.command("journal")
@click.argument("config_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--after", type=click.IntRange(min=0), default=0,
              help="Only the events numbered after this one.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="At most this many events (default: all).")
@pass_instance
@fail_cleanly
def journal_command(instance, config_id, as_json, after, limit):
    """Print the journal of events that concern CONFIG_ID and the whole instance (start, stop,
    sign-in, parameters...), oldest first, with each event's number and link."""
    with instance.engine.connect() as connection:
        sessions.get_config(connection, config_id)
        shown = 0
        while limit is None or shown < limit:
            page = journal.journal_events(
                connection, config_id=config_id, after=after,
                limit=journal.PAGE if limit is None else min(journal.PAGE, limit - shown))
            for event in page:
                click.echo(json.dumps(event, sort_keys=True) if as_json else _event_line(event))
            shown += len(page)
            if len(page) < journal.PAGE:
                break
            after = page[-1]["number"]


def _event_line(event):
    details = " ".join(f"{key}={json.dumps(value, ensure_ascii=False)}"
                       for key, value in sorted(event["details"].items()))
    return (f"{event['number']:>6} {event['at']} {event['kind']:<16} "
            f"{details} [{event['link'][:10]}]").rstrip()


@click.command()
@click.argument("config_id", type=int)
@pass_instance
@fail_cleanly
def token(instance, config_id):
    """Print a bearer token for POS config CONFIG_ID (valid point_of_sale.token_max_age s)."""
    with instance.engine.connect() as connection:
        sessions.get_config(connection, config_id)
        token = issue_config_token(connection, instance, instance.plugin_manager(), config_id)
    click.echo(token)


@pos.group("closings")
def closings_group():
    """Periodic closings: daily per config, monthly and yearly from the dailies, and per
    establishment (the configs of one shop)."""


@closings_group.command("run")
@click.option("--now", "now_text", default=None, metavar="ISO_TIME",
              help="Make the closings due at this time (default: now).")
@pass_instance
@fail_cleanly
def closings_run(instance, now_text):
    """Make every closing that is due (run it hourly: docs/deploy.md); print one line each."""
    from .periodic import run_closings, settings
    now = _moment(now_text)
    with instance.engine.begin() as connection:
        zone, hour = settings(instance.parameters(connection, instance.plugin_manager()))
        made = run_closings(connection, now, zone, hour)
    for closing in made:
        click.echo(_closing_line(closing))
    if not made:
        click.echo(_("No closing is due."))


@closings_group.command("list")
@click.argument("config_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_instance
@fail_cleanly
def closings_list(instance, config_id, as_json):
    """List CONFIG_ID's closings and its establishment's, oldest first."""
    from .periodic import closings_of_config
    with instance.engine.connect() as connection:
        sessions.get_config(connection, config_id)
        found = closings_of_config(connection, config_id)
    for closing in found:
        click.echo(json.dumps(closing, sort_keys=True) if as_json else _closing_line(closing))


def _moment(text):
    from datetime import datetime, timezone

    from core.errors import CoreError
    if text is None:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CoreError(_("--now %(text)s is not an ISO time such as 2026-12-07T05:00:00Z",
                          text=repr(text))) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _closing_line(closing):
    details = closing["details"]
    who = (_("establishment %(name)s", name=details["establishment"])
           if "establishment" in details else _("config %(id)s", id=closing["config_id"]))
    kind = closing["kind"].replace("_closing", "")
    return (f"{closing['number']:>6} {kind:<7} {details['period']:<10} " + _(
        "%(who)s: %(orders)s orders, total %(total)s, perpetual %(perpetual)s, %(refunds)s "
        "refunds, %(duplicates)s duplicates", who=who, orders=details["order_count"],
        total=details["period_total"], perpetual=details["perpetual_total"],
        refunds=details["refund_count"], duplicates=details["duplicate_count"])
        + f" [{closing['link'][:10]}]")


class _ArchiveGroup(click.Group):
    """`core pos archive CONFIG_ID ...` makes one; `core pos archive verify|key` do the rest."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["make", *args]
        return super().parse_args(ctx, args)


@pos.group("archive", cls=_ArchiveGroup)
def archive_group():
    """Fiscal archives: `core pos archive CONFIG_ID --period 2026 -o FILE`, `core pos archive
    verify FILE`, `core pos archive key`."""


@archive_group.command("make")
@click.argument("config_id", type=int)
@click.option("--period", required=True, help="A year (2026) or a month (2026-03).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The archive file to write (a ZIP).")
@pass_instance
@fail_cleanly
def archive_make(instance, config_id, period, output):
    """Write CONFIG_ID's signed archive of a period: tickets, closings and journal."""
    from .archive import make_archive, private_key
    from .periodic import settings
    with instance.engine.begin() as connection:
        parameters = instance.parameters(connection, instance.plugin_manager())
        zone, hour = settings(parameters)
        data, manifest = make_archive(connection, config_id, period, zone, hour,
                                      private_key(parameters), instance.db_name)
        with open(output, "wb") as file:
            file.write(data)
    click.echo(_("%(file)s: %(tickets)s tickets, %(closings)s closings, %(events)s journal "
                 "events, signed by %(key)s", file=output, tickets=manifest["tickets"]["count"],
                 closings=manifest["closings"], events=manifest["journal"]["count"],
                 key=manifest["public_key"]))


@archive_group.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--public-key", default=None, help="The archive key's public half (hex) kept "
              "apart: the archive must be signed by it.")
def archive_verify(path, public_key):
    """Check an archive without a database: signature, parts, ticket and journal chains."""
    from .archive import verify_archive
    with open(path, "rb") as file:
        ok, lines = verify_archive(file.read(), public_key)
    for line in lines:
        click.echo(line, err=line.startswith("DIFFERS"))
    if not ok:
        raise SystemExit(1)


@archive_group.command("key")
@pass_instance
@fail_cleanly
def archive_key(instance):
    """Print the public half of this instance's archive key (hex), to keep apart."""
    from .archive import private_key, public_hex
    with instance.engine.connect() as connection:
        key = private_key(instance.parameters(connection, instance.plugin_manager()))
    click.echo(public_hex(key))
