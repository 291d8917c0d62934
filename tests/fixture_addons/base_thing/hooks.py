from flask import Blueprint, jsonify
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import ConfigField, hookimpl
from core.web import current_instance
from core.web.errors import ApiError, json_object

from .models import Item

blueprint = Blueprint("base_thing", __name__, url_prefix="/base_thing")


@blueprint.get("/items")
def list_items():
    with current_instance().engine.connect() as connection:
        rows = connection.execute(select(Item.id, Item.label).order_by(Item.id)).all()
    return jsonify(items=[{"id": i, "label": label} for i, label in rows])


@blueprint.post("/items")
def create_item():
    body = json_object()
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise ApiError(400, "invalid_label", "'label' must be a non-empty string")
    if len(label.strip()) > 64:
        raise ApiError(400, "invalid_label", "'label' must be at most 64 characters")
    for _attempt in range(5):  # ids are max+1; a concurrent insert may take ours first
        try:
            with current_instance().engine.begin() as connection:
                next_id = (connection.scalar(select(func.max(Item.id))) or 0) + 1
                connection.execute(Item.__table__.insert().values(id=next_id, label=label.strip()))
            return jsonify(id=next_id, label=label.strip()), 201
        except IntegrityError:
            continue
    raise ApiError(409, "busy", "too many items were created at once; try again")


@hookimpl
def register_routes():
    return [blueprint]


@hookimpl
def register_models():
    return [Item]


@hookimpl
def register_system_parameters():
    return [{"key": "base_thing.greeting", "addon": "base_thing", "type": "str",
             "default": "hello", "description": "What the base thing says"}]


@hookimpl
def register_config_fields(form):
    if form != "base_thing.item":
        return []
    return [
        ConfigField("nickname", "Nickname", help="Shown on the receipt", required=True,
                    default="thing"),
        ConfigField("check_every", "Check every (seconds)", type="int", default=60, min=0,
                    max=3600),
    ]


@hookimpl
def register_menu_links():
    return [("Items", "base_thing.list_items")]


@hookimpl
def register_assets(page):
    return ["/base_thing/static/base.js"] if page == "pos" else []


@hookimpl
def post_install(connection):
    connection.execute(Item.__table__.insert().values(id=100, label="installed marker"))


@hookimpl
def load_demo_data(connection):
    connection.execute(Item.__table__.insert().values(id=50, label="demo from the hook"))


# Item counts seen by pre_uninstall, which runs before the tables are dropped.
SEEN_BEFORE_UNINSTALL = []


@hookimpl
def pre_uninstall(connection):
    SEEN_BEFORE_UNINSTALL.append(connection.scalar(select(func.count()).select_from(Item)))
