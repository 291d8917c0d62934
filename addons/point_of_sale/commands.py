"""`core pos open|close|verify CONFIG_ID` and `core token CONFIG_ID`."""
from decimal import Decimal

import click

from core.cli import fail_cleanly, pass_instance

from . import sessions
from .ledger_check import verify_chain
from .tokens import issue_config_token


@click.group()
def pos():
    """Open and close POS sessions; verify a config's ticket chain."""


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
@pass_instance
@fail_cleanly
def verify_command(instance, config_id):
    """Re-check CONFIG_ID's ticket chain from ticket 1; name the first broken link (exit 1)."""
    with instance.engine.connect() as connection:
        config = sessions.get_config(connection, config_id)
        check = verify_chain(connection, config_id)
    unsealed = (f"; {check.unsealed} orders stored before the ledger existed are unnumbered"
                if check.unsealed else "")
    if check.ok:
        click.echo(f"{config.name}: OK, {check.reason}{unsealed}")
        return
    click.echo(f"{config.name}: BROKEN at ticket {check.first_broken}: {check.reason} "
               f"({check.checked} tickets before it are intact){unsealed}", err=True)
    raise SystemExit(1)


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
