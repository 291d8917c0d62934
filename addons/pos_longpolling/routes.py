"""POST /longpolling/poll (wait for bus messages) and POST /pos_longpolling/update (PING)."""
import math
from datetime import timedelta

from flask import Blueprint

from core.models import utc_now
from core.web import current_instance
from core.web.errors import ApiError
from core.web.fields import Fields

from . import bus
from .access import caller_scope, require_channels, require_pos
from .jsonrpc import json_route
from .settings import current_settings
from .websocket import serve_websocket

MAX_CHANNELS = 100
MAX_CHANNEL_LENGTH = 255
HEARTBEAT_CHANNEL = "pos.longpolling"
# Each field its own code (invalid_pos_id, invalid_channels); English whatever the caller's
# language, as the rest of the bus the original Odoo tills speak.
FIELDS = Fields(show_value=True, translated=False)

poll_blueprint = Blueprint("longpolling", __name__, url_prefix="/longpolling")
blueprint = Blueprint("pos_longpolling", __name__, url_prefix="/pos_longpolling",
                      static_folder="static")


@poll_blueprint.post("/poll")
@json_route
def poll(params):
    """{channels, last, options: {timeout}} -> [{id, channel, message}, ...], or [] once the
    server's cycle (pos_longpolling.poll_timeout) or the asked-for shorter timeout is over.
    Callers who need no credential check are answered below Flask's dispatch (lean_poll.py),
    by the same `answer_poll`."""
    scope = caller_scope()  # 401 before anything about the parameters
    settings = current_settings()
    channels, last, since, timeout = poll_arguments(params, settings)
    require_channels(scope, channels)
    return answer_poll(current_instance().engine, settings, channels, last, since, timeout)


def poll_arguments(params, settings):
    """(channels, last, since, timeout) of a poll's parameters, or an ApiError."""
    return (*_subscription(params, settings), _timeout(params.get("options", {}), settings))


def answer_poll(engine, settings, channels, last, since, timeout):
    """The poll's answer (messages left encoded, `encoding.Encoded`), once it has one."""
    messages = bus.poll(engine, channels, last, timeout, since=since, encoded=True)
    bus.collect_garbage(engine, settings.retention_seconds)
    return messages


@poll_blueprint.get("/websocket", websocket=True)
def websocket():
    """The bus over a WebSocket: subscribe with {channels, last}, receive poll answers as they
    come (websocket.py)."""
    return serve_websocket(lambda params: poll_arguments(params, current_settings()))


def _subscription(params, settings):
    """(channels, last, since) of a poll or a WebSocket subscription."""
    channels = _channels(params.get("channels"))
    last = FIELDS.whole(params.get("last", 0), "last")
    # A client that never polled (last = 0) gets what is recent, not the whole retention; to
    # the second, so that tills reconnecting together share their reads.
    since = (utc_now().replace(microsecond=0)
             - timedelta(seconds=settings.poll_timeout) if last == 0 else None)
    return channels, last, since


@blueprint.post("/update")
@json_route
def update(params):
    """{pos_id, message: "PING", db_name} -> 1, and "PONG" on that POS's pos.longpolling channel."""
    pos_id = FIELDS.whole(params.get("pos_id"), "pos_id", minimum=1)
    if params.get("message") != "PING":
        raise ApiError(400, "invalid_message", 'the only message this route takes is "PING"')
    instance = current_instance()
    db_name = FIELDS.text(params.get("db_name", instance.db_name), "db_name", limit=128,
                          shortest=1)
    require_pos(caller_scope(), pos_id, db_name)
    with bus.BusTransaction(instance.engine) as transaction:
        transaction.send(bus.pos_channel(db_name, HEARTBEAT_CHANNEL, pos_id), "PONG")
    return 1


def _channels(value):
    if not isinstance(value, list) or not value:
        raise ApiError(400, "invalid_channels", "channels must be a non-empty array of channel "
                                                'strings such as ["db","pos.longpolling","1"]')
    if len(value) > MAX_CHANNELS:
        raise ApiError(400, "too_many_channels", f"poll at most {MAX_CHANNELS} channels at once")
    for index, channel in enumerate(value):
        FIELDS.text(channel, f"channels[{index}]", limit=MAX_CHANNEL_LENGTH, shortest=1)
    return sorted({bus.normalise_channel(channel) for channel in value})


def _timeout(options, settings):
    if not isinstance(options, dict):
        raise ApiError(400, "invalid_options", "options must be an object, e.g. {\"timeout\": 30}")
    server_cycle = settings.poll_timeout
    timeout = options.get("timeout", server_cycle)
    if (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
            or not 0 <= timeout < math.inf):  # NaN too: it would never end a poll
        raise ApiError(400, "invalid_timeout", "options.timeout must be a number of seconds ≥ 0")
    return min(float(timeout), server_cycle)
