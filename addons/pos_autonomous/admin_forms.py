"""The admin's forms beyond *Tables to synchronise*: on the central instance, a new till's
package (made in the background, followed, then downloaded as a file) and each till's
cashiers; on a till, the synchroniser's timings. Signed-in admins, CSRF on every POST; a bad
field is said in a flash message, nothing saved."""
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, flash, jsonify, redirect, request, send_file, url_for
from sqlalchemy import select

from addons.point_of_sale import PosConfig
from core.errors import CoreError
from core.models import User
from core.web import current_instance, current_plugins
from core.web.admin import require_login_and_csrf
from core.web.errors import ApiError

from . import builds, exports, pages, settings, tills
from .status import link

forms_blueprint = Blueprint("pos_autonomous_forms", __name__,
                            url_prefix="/web/pos_autonomous")
forms_blueprint.before_request(require_login_and_csrf)

MAX_CASHIERS = 500
MAX_NAME = 64
MAX_URL = 255
# The synchroniser's timings (milliseconds) and page size: (key, label, smallest, largest).
TIMINGS = [
    (settings.SYNC_INTERVAL_MS, "Wait between two synchronisations (ms)", 10, 86_400_000),
    (settings.REQUEST_TIMEOUT_MS, "Request timeout (ms)", 10, 3_600_000),
    (settings.RETRY_WAIT_MS, "Wait after an error (ms, doubled after each further one)", 10,
     3_600_000),
    (settings.MAX_RETRY_WAIT_MS, "Longest wait while the server is unreachable (ms)", 10,
     86_400_000),
    (settings.PAGE_SIZE, "Rows per page", 1, pages.MAX_PAGE_SIZE),
]


def central_context(connection):
    """What the central page's till forms need: the POS configs, the users, each till's
    cashiers, the address packages carry by default, the latest package builds and the file
    exports."""
    allowed = {}
    for till_id, login in tills.cashier_logins(connection):
        allowed.setdefault(till_id, []).append(login)
    return {
        "configs": connection.execute(select(PosConfig.id, PosConfig.name)
                                      .order_by(PosConfig.id)).all(),
        "users": [login for (login,) in connection.execute(select(User.login)
                                                           .order_by(User.login))],
        "cashiers": allowed,
        "server_url": current_instance().parameters(connection, current_plugins())
        .get(settings.SERVER_URL),
        "builds": [builds.build_status(build) for build in builds.recent(connection)],
        "exports": exports.runs(connection),
    }


def timings(connection):
    """[(key, label, smallest, largest, current value)] for the till page's form."""
    parameters = current_instance().parameters(connection, current_plugins())
    return [(key, label, low, high, parameters.get(key)) for key, label, low, high in TIMINGS]


def _back():
    return redirect(url_for("pos_autonomous_admin.index"), code=303)


def _logins():
    logins = request.form.getlist("cashier")
    if len(logins) > MAX_CASHIERS or any(len(login) > MAX_NAME for login in logins):
        raise CoreError(f"at most {MAX_CASHIERS} cashiers, logins of at most {MAX_NAME} "
                        "characters")
    return sorted(set(logins))


def _server_url(connection):
    url = (request.form.get("server_url") or "").strip() or current_instance().parameters(
        connection, current_plugins()).get(settings.SERVER_URL)
    parts = urlsplit(url or "")
    if len(url or "") > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        raise CoreError("give the address the till reaches this server at, as http(s)://host:"
                        "port (or set the parameter pos_autonomous.server_url)")
    return url


@forms_blueprint.post("/tills/package")
def package():
    """Register a till and make its package in the background (builds.py); the page follows
    it and downloads the file when it is ready."""
    try:
        raw_config = request.form.get("config_id", "")
        if not raw_config.isdigit() or int(raw_config) > 2**31 - 1:
            raise CoreError("choose the POS config the till sells for")
        name = (request.form.get("name") or "").strip() or None
        if name is not None and len(name) > MAX_NAME:
            raise CoreError(f"a till's name has at most {MAX_NAME} characters")
        with current_instance().engine.connect() as connection:
            server_url = _server_url(connection)
        build_id = builds.request_build(current_instance(), int(raw_config), server_url,
                                        _logins(), name)
    except builds.AlreadyBuilding as exc:
        flash(f"No second package started: {exc}.", "error")
        return redirect(url_for("pos_autonomous_admin.index", _anchor=f"build-{exc.build_id}"),
                        code=303)
    except CoreError as exc:
        flash(f"No package made: {exc}", "error")
        return _back()
    flash(f"Making the package (build {build_id}): its progress is below; the download starts "
          "when it is ready.")
    return redirect(url_for("pos_autonomous_admin.index", _anchor=f"build-{build_id}"),
                    code=303)


@forms_blueprint.get("/builds/<int:build_id>")
def build_status(build_id):
    """A package build's state and progress, as JSON (the page reads it every second)."""
    with current_instance().engine.begin() as connection:
        build = builds.get(connection, build_id)
    if build is None:
        raise ApiError(404, "unknown_build", f"there is no package build {build_id}")
    return jsonify(builds.build_status(build))


@forms_blueprint.get("/builds/<int:build_id>/download")
def download_build(build_id):
    """The finished package, once (it holds the till's credentials: the file goes after)."""
    with current_instance().engine.begin() as connection:
        build = builds.get(connection, build_id)
    if build is None or build.state != builds.DONE or not build.file_path or not Path(
            build.file_path).is_file():
        state = "unknown" if build is None else builds.build_status(build)["words"]
        flash(f"No package to download for build {build_id} ({state}).", "error")
        return _back()
    package_file = open(build.file_path, "rb")  # readable until sent, though removed now
    builds.mark_downloaded(current_instance(), build_id)
    return send_file(package_file, as_attachment=True,
                     download_name=f"till-{build.till_id}-config-{build.config_id}.package",
                     mimetype="application/octet-stream")


@forms_blueprint.post("/tills/<int:till_id>/cashiers")
def set_cashiers(till_id):
    """The users allowed to sign in on a till: they come down at its next synchronisation
    (and the ones taken off leave it)."""
    try:
        logins = _logins()
        with current_instance().engine.begin() as connection:
            tills.get_till(connection, till_id)
            tills.set_cashiers(connection, till_id, logins)
    except CoreError as exc:
        flash(f"Cashiers not saved: {exc}", "error")
    else:
        flash(f"Till {till_id}: cashiers {', '.join(logins) or 'none'}; the till has them at "
              "its next synchronisation.")
    return _back()


@forms_blueprint.post("/synchroniser")
def save_timings():
    """A till's synchroniser timings (the running synchroniser reads them at each pass)."""
    try:
        values = {}
        for key, label, low, high in TIMINGS:
            raw = (request.form.get(key) or "").strip()
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise CoreError(f"{label}: a whole number from {low} to {high}, not {raw[:20]!r}")
            values[key] = int(raw)
        if values[settings.MAX_RETRY_WAIT_MS] < values[settings.RETRY_WAIT_MS]:
            raise CoreError("the longest wait while unreachable cannot be shorter than the wait "
                            "after an error")
        with current_instance().engine.begin() as connection:
            if link(connection) is None:
                raise CoreError("this is the central instance: the timings are a till's")
            parameters = current_instance().parameters(connection, current_plugins())
            for key, value in values.items():
                parameters.set(key, value)
    except CoreError as exc:
        flash(f"Not saved: {exc}", "error")
    else:
        flash("Synchroniser timings saved; the synchroniser uses them from its next pass.")
    return _back()
