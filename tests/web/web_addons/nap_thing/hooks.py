import time

from flask import Blueprint, jsonify, request

from core import hookimpl
from core.web.errors import ApiError, json_object

blueprint = Blueprint("nap_thing", __name__, url_prefix="/nap_thing")


@blueprint.get("/nap")
def nap():
    """Wait, as a long poll does; under gevent the server serves others meanwhile."""
    seconds = request.args.get("seconds", default=0.5, type=float)
    if not 0 <= seconds <= 5:
        raise ApiError(400, "invalid_seconds", "'seconds' must be between 0 and 5")
    time.sleep(seconds)
    return jsonify(slept=seconds)


@blueprint.post("/echo")
def echo():
    return jsonify(json_object())


@hookimpl
def register_routes():
    return [blueprint]
