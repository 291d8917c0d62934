"""The central instance's admin (/web/pos_autonomous): *Tables to synchronise* (kind, switch),
the tills (revoke, cashiers, a new till's package made in the background, followed, then
downloaded as a file), the file exports and *Test connection*, and what the tills pushed: each
till's last contact and acknowledged ticket, the alarms (resolve), the acknowledgement journal
and the tills' events. A bad field is said in a flash message, nothing saved."""
from urllib.parse import urlsplit

from flask import flash, jsonify, redirect, render_template, request, send_file, url_for
from sqlalchemy import select

from addons.point_of_sale import PosConfig, SessionError, config_writers
from core.errors import CoreError
from core.i18n import _
from core.models import User
from core.values import whole_number
from core.web import current_instance, current_plugins
from core.web.admin import moment
from core.web.errors import ApiError
from core.web.guard import requires
from core.web.users import ADMIN

from .. import files, settings
from ..declarations import set_row, sync_rows
from ..web import admin_blueprint, back_to_index, forms_blueprint
from ..wire import KINDS
from . import builds, exports, receive, tills

MAX_CASHIERS = 500
MAX_NAME = 64
MAX_URL = 255


def page(connection, declared):
    """The central page, rendered."""
    overview = receive.till_overview(connection)
    names = {till.id: till.name for till in tills.tills(connection)}
    up = {"overview": overview, "names": names,
          "alarms": receive.open_alarms(connection),
          "acknowledgements": receive.recent_acknowledgements(connection),
          "events": receive.recent_events(connection),
          "journal": receive.recent_journal(connection)}
    return render_template("pos_autonomous/central.html",
                           rows=sync_rows(connection, declared), kinds=KINDS,
                           tills=tills.tills(connection), moment=moment, up=up,
                           **central_context(connection))


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
        "writers": config_writers(connection),
        # a till's cashiers are cashiers and managers: an admin is nobody's cashier
        "users": [login for (login,) in connection.execute(
            select(User.login).where(User.role.in_(tills.TILL_ROLES)).order_by(User.login))],
        "cashiers": allowed,
        "server_url": current_instance().parameters(connection, current_plugins())
        .get(settings.SERVER_URL),
        "builds": [builds.build_status(build) for build in builds.recent(connection)],
        "exports": exports.runs(connection),
    }



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


MAX_SHOP_CONFIGS = 100


def _config_ids():
    """The POS configs the package serves, as chosen (one: a till; several: a shop)."""
    raw = request.form.getlist("config_id")
    numbers = [whole_number(value) for value in raw]
    if not raw or len(raw) > MAX_SHOP_CONFIGS or None in numbers:
        raise CoreError("choose the POS config the till sells for (several: a shop serving "
                        "them all)")
    return list(dict.fromkeys(numbers))


@forms_blueprint.post("/tills/package")
@requires(ADMIN)
def package():
    """Register a till and make its package in the background (builds.py); the page follows
    it and downloads the file when it is ready."""
    try:
        config_ids = _config_ids()
        name = (request.form.get("name") or "").strip() or None
        if name is not None and len(name) > MAX_NAME:
            raise CoreError(f"a till's name has at most {MAX_NAME} characters")
        with current_instance().engine.connect() as connection:
            server_url = _server_url(connection)
        build_id = builds.request_build(current_instance(), config_ids, server_url,
                                        _logins(), name)
    except builds.AlreadyBuilding as exc:
        flash(_('No second package started: %(exc)s.', exc=exc), "error")
        return redirect(url_for("pos_autonomous_admin.index", _anchor=f"build-{exc.build_id}"),
                        code=303)
    except CoreError as exc:
        flash(_('No package made: %(exc)s', exc=exc), "error")
        return back_to_index()
    flash(_('Making the package (build %(build_id)s): its progress is below; the download starts when '
            'it is ready.', build_id=build_id))
    return redirect(url_for("pos_autonomous_admin.index", _anchor=f"build-{build_id}"),
                    code=303)


@forms_blueprint.get("/builds/<int:build_id>")
@requires(ADMIN)
def build_status(build_id):
    """A package build's state and progress, as JSON (the page reads it every second)."""
    with current_instance().engine.begin() as connection:
        build = builds.get(connection, build_id)
    if build is None:
        raise ApiError(404, "unknown_build", f"there is no package build {build_id}")
    return jsonify(builds.build_status(build))


@forms_blueprint.post("/builds/<int:build_id>/download")
@requires(ADMIN)
def download_build(build_id):
    """The finished package, once (it holds the till's credentials: the file goes after). A
    POST with the form's CSRF token: a cross-site link cannot spend it; claimed in the
    transaction that marks it downloaded, so that one request of many concurrent ones gets it."""
    package_file = builds.claim_download(current_instance(), build_id)
    if package_file is None:
        with current_instance().engine.begin() as connection:
            build = builds.get(connection, build_id)
        state = "unknown" if build is None else builds.build_status(build)["words"]
        flash(_('No package to download for build %(build_id)s (%(state)s).'
                , build_id=build_id, state=state), "error")
        return back_to_index()
    with current_instance().engine.begin() as connection:
        build = builds.get(connection, build_id)
    return send_file(package_file, as_attachment=True,
                     download_name=f"till-{build.till_id}-config-{build.config_id}.package",
                     mimetype="application/octet-stream")


@forms_blueprint.post("/tills/<int:till_id>/cashiers")
@requires(ADMIN)
def set_cashiers(till_id):
    """The users allowed to sign in on a till: they come down at its next synchronisation
    (and the ones taken off leave it)."""
    try:
        logins = _logins()
        with current_instance().engine.begin() as connection:
            tills.get_till(connection, till_id)
            tills.set_cashiers(connection, till_id, logins)
    except CoreError as exc:
        flash(_('Cashiers not saved: %(exc)s', exc=exc), "error")
    else:
        flash(_('Till %(till_id)s: cashiers %(none)s; the till has them at its next synchronisation.'
                , till_id=till_id, none=', '.join(logins) or 'none'))
    return back_to_index()


@admin_blueprint.post("/tables/<table_name>/<direction>")
@requires(ADMIN)
def update_table(table_name, direction):
    try:
        with current_instance().engine.begin() as connection:
            set_row(connection, table_name, direction, kind=request.form.get("kind"),
                    active=request.form.get("active") == "1")
    except CoreError as exc:
        flash(_('Not saved: %(exc)s', exc=exc), "error")
    else:
        flash(_('Saved %(table_name)s (%(direction)s).', table_name=table_name, direction=direction))
    return redirect(url_for(".index"))


@admin_blueprint.post("/test-connection")
@requires(ADMIN)
def test_connection():
    """Download test.txt from a folder or FTP server (the original's *Tester la connexion*)."""
    location = (request.form.get("location") or "").strip()
    try:
        if not location:
            raise CoreError("give a folder or an ftp://user:password@host/folder address")
        size = files.test_connection(location)
    except CoreError as exc:
        flash(_('Connection failed: %(exc)s', exc=exc), "error")
    else:
        flash(_('Connection works: %(test_file)s downloaded (%(size)s bytes).'
                , test_file=files.TEST_FILE, size=size))
    return redirect(url_for(".index"))


@admin_blueprint.post("/tills/<int:till_id>/revoke")
@requires(ADMIN)
def revoke_till(till_id):
    try:
        with current_instance().engine.begin() as connection:
            tills.revoke(connection, till_id)
    except CoreError as exc:
        flash(_('Not revoked: %(exc)s', exc=exc), "error")
    else:
        flash(_('Till %(till_id)s is revoked: its synchroniser is refused from now on.'
                , till_id=till_id))
    return redirect(url_for(".index"))


@admin_blueprint.post("/configs/<int:config_id>/move-to-central")
@requires(ADMIN)
def move_config_to_central(config_id):
    reason = (request.form.get("reason") or "").strip()[:200]
    try:
        if not reason:
            raise CoreError("say why (kept in the journal)")
        with current_instance().engine.begin() as connection:
            number, _link = tills.move_to_central(connection, config_id, reason)
    except (CoreError, SessionError) as exc:
        flash(_('Not moved: %(exc)s', exc=exc), "error")
    else:
        flash(_('Config %(config_id)s is served by this server again; its next ticket is %(number)s.'
                , config_id=config_id, number=number + 1))
    return redirect(url_for(".index"))


@admin_blueprint.post("/alarms/<int:alarm_id>/resolve")
@requires(ADMIN)
def resolve_alarm(alarm_id):
    note = (request.form.get("resolution") or "").strip()[:500] or "resolved on the admin"
    with current_instance().engine.begin() as connection:
        done = receive.resolve(connection, alarm_id, note)
    if done:
        flash(_('Alarm %(alarm_id)s is resolved (%(note)s).', alarm_id=alarm_id, note=note))
    else:
        flash(_('Alarm %(alarm_id)s is not open.', alarm_id=alarm_id), "error")
    return redirect(url_for(".index"))
