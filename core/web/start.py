"""The start page `/`: a visitor is sent to sign in, a signed-in person sees where to go (the
places installed addons list through `register_start_links`: tills, ...). Also the favicon."""
from pathlib import Path

from flask import Blueprint, redirect, render_template, send_from_directory, url_for

from core.plugins import flatten
from core.web import current_instance, current_plugins
from core.web.sessions import signed_in_user

start = Blueprint("start", __name__, template_folder="templates")
STATIC = Path(__file__).resolve().parent / "static"


def start_links(instance, manager):
    """The (label, path) pairs installed addons list for people to start from."""
    with instance.engine.connect() as connection:
        return flatten(manager, "register_start_links", connection=connection)


def served_addresses(instance, base):
    """What `core serve` prints: the database, the admin's address and the start links of the
    installed addons (the tills), one per line."""
    lines = [f"Comptoir serving database {instance.db_name!r} on {base}/web (Ctrl+C to stop)"]
    try:
        links = start_links(instance, instance.plugin_manager())
    except Exception as exc:  # the server serves anyway; the admin pages say what is wrong
        links, lines = [], [*lines, f"  (start links unavailable: {exc})"]
    lines += [f"  {label}: {base}{path}" for label, path in links]
    return "\n".join(lines)


@start.get("/")
def index():
    instance = current_instance()
    with instance.engine.connect() as connection:
        login = signed_in_user(connection)
    if login is None:
        return redirect(url_for("admin.login", next="/"))
    return render_template("start.html", links=start_links(instance, current_plugins()),
                           login=login)


@start.get("/favicon.ico")
def favicon():
    return send_from_directory(STATIC, "favicon.svg", mimetype="image/svg+xml",
                               max_age=86400)
