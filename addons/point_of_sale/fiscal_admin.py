"""The admin's fiscal page (/web/pos/fiscal): per config, its periodic closings, the journal of
events, and the button that writes a signed archive of a year or a month (archive.py)."""
import re

from flask import Response, abort, render_template, request
from sqlalchemy import select

from core.web import current_instance, current_plugins
from core.web.guard import admin_blueprint as guarded_blueprint
from core.web.guard import requires
from core.web.users import MANAGER

from .archive import ArchiveError, make_archive, private_key
from .journal import journal_events, journal_head
from .models import PosConfig
from .periodic import closings_of_config, settings

fiscal_blueprint = guarded_blueprint("point_of_sale_fiscal", __name__, url_prefix="/web/pos",
                                     template_folder="templates")
SHOWN_EVENTS = 100


@fiscal_blueprint.get("/fiscal")
@requires(MANAGER)
def fiscal_page():
    instance = current_instance()
    with instance.engine.connect() as connection:
        configs = connection.execute(select(PosConfig.id, PosConfig.name)
                                     .order_by(PosConfig.name, PosConfig.id)).all()
        if not configs:
            return render_template("point_of_sale/admin/fiscal.html", configs=[], config=None,
                                   closings=[], events=[], error=None, period="")
        config_id = request.args.get("config_id", type=int) or configs[0].id
        config = next((c for c in configs if c.id == config_id), None)
        if config is None:
            abort(404)
        closings = list(reversed(closings_of_config(connection, config.id)))
        head, _link = journal_head(connection)
        events = list(reversed(journal_events(connection, config_id=config.id,
                                              after=max(0, head - SHOWN_EVENTS))))
    return render_template("point_of_sale/admin/fiscal.html", configs=configs, config=config,
                           closings=closings, events=events, error=None, period="")


@fiscal_blueprint.post("/fiscal/<int:config_id>/archive")
@requires(MANAGER)
def archive_download(config_id):
    """The signed archive of a year or month, as a download (and journaled)."""
    instance = current_instance()
    period = (request.form.get("period") or "").strip()
    try:
        with instance.engine.begin() as connection:
            parameters = instance.parameters(connection, current_plugins())
            zone, hour = settings(parameters)
            data, manifest = make_archive(connection, config_id, period, zone, hour,
                                          private_key(parameters), instance.db_name)
    except ArchiveError as error:
        if "no POS config" in str(error):
            abort(404)
        with instance.engine.connect() as connection:
            configs = connection.execute(select(PosConfig.id, PosConfig.name)
                                         .order_by(PosConfig.name, PosConfig.id)).all()
            config = next(c for c in configs if c.id == config_id)
            closings = list(reversed(closings_of_config(connection, config_id)))
        return render_template("point_of_sale/admin/fiscal.html", configs=configs,
                               config=config, closings=closings, events=[],
                               error=str(error), period=period), 400
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", manifest["config"]["name"]).strip("-") or "config"
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}-{period}.zip"'})
