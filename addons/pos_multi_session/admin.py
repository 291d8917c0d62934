"""/web/pos/multi-sessions: list, create and edit multi-sessions (name, active, sync server,
member configs). Managers and admins, every POST with the page's CSRF token."""
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import insert, select, update

from addons.point_of_sale import PosConfig
from core.i18n import _
from core.web import current_instance
from core.web.guard import admin_blueprint as guarded_blueprint
from core.web.guard import requires
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


@admin_blueprint.route("/new", methods=["GET", "POST"], defaults={"multi_session_id": None})
@admin_blueprint.route("/<int:multi_session_id>", methods=["GET", "POST"])
@requires(MANAGER)
def form(multi_session_id):
    with engine().connect() as connection:
        row = None
        if multi_session_id is not None:
            row = connection.execute(select(MultiSession).where(
                MultiSession.id == multi_session_id)).first() or abort(404)
        configs = connection.execute(select(PosConfig.id, PosConfig.name)
                                     .order_by(PosConfig.name)).all()
        members = member_config_ids(connection, multi_session_id) if row else []
        elsewhere = {c.id: other.name for c in configs
                     if (other := multi_session_of(connection, c.id)) is not None
                     and other.id != multi_session_id}
    if request.method == "GET":
        record = {"name": row.name if row else "", "active": row.active if row else True,
                  "sync_server": row.sync_server if row else ""}
        return render_form(row, record, configs, members, elsewhere, {})
    record, errors = read_form()
    chosen = [c.id for c in configs if request.form.get(f"member_{c.id}") == "1"]
    if errors:
        return render_form(row, {**record, "sync_server": request.form.get("sync_server", "")},
                           configs, chosen, elsewhere, errors), 400
    table = MultiSession.__table__
    with engine().begin() as connection:
        if row is None:
            multi_session_id = connection.execute(insert(table).values(
                **record, run_id=1)).inserted_primary_key[0]
        else:
            connection.execute(update(table).where(table.c.id == multi_session_id)
                               .values(**record))
        for config in configs:
            if config.id in chosen:
                set_membership(connection, config.id, multi_session_id)
            elif config.id in members:
                set_membership(connection, config.id, 0)
    flash(_('Saved multi-session %(name)s. Tills pick the change up when they reload.'
            , name=record['name']))
    if record["sync_server"] and is_loopback(record["sync_server"]):
        flash(_("%(sync_server)s names the till's own device: tills on other devices cannot reach it. "
                "Use an address of the sync server on the shop's network."
                , sync_server=record['sync_server']),
              "error")
    return redirect(url_for(".index"))


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
