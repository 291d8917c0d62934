import click

from core import hookimpl


@hookimpl
def register_assets(page):
    return ["/other_thing/static/other.css"] if page == "pos" else []


@hookimpl
def register_commands(cli):
    @cli.command("other-hello")
    @click.argument("name")
    def other_hello(name):
        """Greet NAME (a command added by the other_thing test addon)."""
        click.echo(f"hello {name} from other_thing")

    @cli.command("other-setup")
    def other_setup_done():
        """Once installed, other_thing's own command of that name is the one that runs."""
        click.echo("other_thing is already set up")


@hookimpl
def register_setup_commands(cli):
    @cli.command("other-setup")
    def other_setup():
        """Works before other_thing is installed (a setup command)."""
        click.echo("setting up other_thing")


@hookimpl
def configure_app(app):
    @app.after_request
    def sign(response):
        response.headers["X-Other-Thing"] = "configured"
        return response
