"""/web/pos/multi-sessions: list, create and edit multi-sessions (name, active, sync server,
member configs). Managers and admins, every POST with the page's CSRF token."""
from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from addons.point_of_sale import PosConfig
from core.i18n import _
from core.web import current_instance
from core.web.guard import admin_blueprint as guarded_blueprint
from core.web.guard import requires
from core.web.record_forms import record_of, row_or_404, save_row
from core.web.users import MANAGER

from .membership import (
    SyncServerError,
    clean_sync_server,
    is_loopback,
    member_config_ids,
    multi_session_of,
    set_membership,
)
from .models import MultiSession

admin_blueprint = guarded_blueprint("pos_multi_session_admin", __name__,
                                    url_prefix="/web/pos/multi-sessions", template_folder="templates")


def engine():
    return current_instance().engine


@admin_blueprint.get("/")
@requires(MANAGER)
def index():
    with engine().connect() as connection:
        configs = dict(connection.execute(select(PosConfig.id, PosConfig.name)).all())
        rows = [(row, [configs.get(c, c) for c in member_config_ids(connection, row.id)])
                for row in connection.execute(select(MultiSession).order_by(MultiSession.name))]
    return render_template("pos_multi_session/index.html", rows=rows)


MULTI_SESSION_BLANK = {"name": "", "active": True, "sync_server": ""}


@admin_blueprint.route("/new", methods=["GET", "POST"], defaults={"multi_session_id": None})
@admin_blueprint.route("/<int:multi_session_id>", methods=["GET", "POST"])
@requires(MANAGER)
def form(multi_session_id):
    with engine().connect() as connection:
        row = row_or_404(connection, MultiSession, multi_session_id)
        configs = connection.execute(select(PosConfig.id, PosConfig.name)
                                     .order_by(PosConfig.name)).all()
        members = member_config_ids(connection, multi_session_id) if row else []
        elsewhere = members_elsewhere(connection, configs, multi_session_id)
    if request.method == "GET":
        return render_form(row, record_of(row, MULTI_SESSION_BLANK), configs, members,
                           elsewhere, {})
    record, errors = read_form()
    chosen = [c.id for c in configs if request.form.get(f"member_{c.id}") == "1"]
    if errors:
        return render_form(row, {**record, "sync_server": request.form.get("sync_server", "")},
                           configs, chosen, elsewhere, errors), 400
    with engine().begin() as connection:
        multi_session_id = save_row(connection, MultiSession.__table__, multi_session_id,
                                    record, run_id=1)
        set_members(connection, configs, chosen, members, multi_session_id)
    flash_saved(record)
    return redirect(url_for(".index"))


def members_elsewhere(connection, configs, multi_session_id):
    """{config id: name of the other multi-session it belongs to} (a config is in one)."""
    return {c.id: other.name for c in configs
            if (other := multi_session_of(connection, c.id)) is not None
            and other.id != multi_session_id}


def set_members(connection, configs, chosen, members, multi_session_id):
    """The `chosen` configs join the multi-session; its other `members` leave it."""
    for config in configs:
        if config.id in chosen:
            set_membership(connection, config.id, multi_session_id)
        elif config.id in members:
            set_membership(connection, config.id, 0)


def flash_saved(record):
    flash(_('Saved multi-session %(name)s. Tills pick the change up when they reload.'
            , name=record['name']))
    if record["sync_server"] and is_loopback(record["sync_server"]):
        flash(_("%(sync_server)s names the till's own device: tills on other devices cannot reach it. "
                "Use an address of the sync server on the shop's network."
                , sync_server=record['sync_server']),
              "error")


def read_form():
    errors = {}
    name = request.form.get("name", "").strip()
    if not name:
        errors["name"] = "a multi-session needs a name"
    elif len(name) > 64:
        errors["name"] = "at most 64 characters"
    try:
        sync_server = clean_sync_server(request.form.get("sync_server", ""))
    except SyncServerError as exc:
        errors["sync_server"], sync_server = str(exc), ""
    if len(sync_server) > 255:
        errors["sync_server"] = "at most 255 characters"
    return {"name": name, "active": request.form.get("active") == "1",
            "sync_server": sync_server}, errors


def render_form(row, record, configs, members, elsewhere, errors):
    return render_template("pos_multi_session/form.html", row=row, record=record,
                           configs=configs, members=members, elsewhere=elsewhere, errors=errors)
