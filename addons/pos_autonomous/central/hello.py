"""`POST /pos_autonomous/hello` (the till's *Test connection*): with the till's token, the
central instance says which till the token is, its own clock, the wire protocol it speaks and
the versions of its installed addons; the till compares (till/connection_test.py). The body is
a JSON object (`{}`); nothing in it is read."""
from flask import jsonify

from core.models import utc_now
from core.times import utc_iso
from core.web import current_instance
from core.web.errors import json_object

from ..web import blueprint
from ..wire import PROTOCOL
from .routes import till_from_request


@blueprint.post("/hello")  # wire.HELLO
def hello():
    json_object()
    instance = current_instance()
    with instance.engine.connect() as connection:
        till = till_from_request(connection)
    return jsonify(till_id=till.id, config_id=till.config_id, server_time=utc_iso(utc_now()),
                   protocol=PROTOCOL, addons=instance.installed())
