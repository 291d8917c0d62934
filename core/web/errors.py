"""One way to say an error: `{"error": {"code": ..., "message": ...}}` with the right 4xx.

JSON routes raise `ApiError` (or any werkzeug HTTPException); admin pages keep HTML errors.
"""
import logging

from flask import jsonify, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest, HTTPException

from core.db import is_transient
from core.i18n import _, _l
from core.web import strict_json

ADMIN_PREFIX = "/web"
log = logging.getLogger(__name__)

# Messages a person can act on, for the errors werkzeug raises itself.
FRIENDLY = {
    404: ("not_found", _l("no such endpoint; check the URL and the installed addons")),
    405: ("method_not_allowed", _l("this endpoint does not accept %(method)s")),
    413: ("payload_too_large", _l("the request body is larger than the %(limit)s bytes this "
                                  "server accepts (system parameter core.max_request_bytes)")),
}


JSON_TYPE_NAMES = {list: _l("an array"), str: _l("a string"), int: _l("a number"),
                   float: _l("a number"), bool: _l("a boolean"), type(None): "null"}


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status, code, message):
    response = jsonify(error={"code": code, "message": message})
    response.status_code = status
    return response


def json_body():
    """The request body as a JSON value (the app's strict JSON: see core.web.strict_json), or
    an ApiError saying what is wrong with it."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type",
                       _("send the body as JSON with the header Content-Type: application/json"))
    data = _body_of_declared_length()
    if data is None:  # chunked, oversized (413): werkzeug's reading and its limits
        try:
            return request.get_json()  # `null` is valid JSON: tell it apart from a parse failure
        except BadRequest:
            raise ApiError(400, "malformed_json", _("the body is not valid JSON")) from None
    try:
        return strict_json.loads(data)
    except strict_json.JsonRefused as refused:
        raise ApiError(400, refused.code, refused.message) from None


def json_items(field=None):
    """A batch body (a JSON array, or an object whose `field` is one) as (body, items,
    refusals): `refusals` {index: strict_json.JsonRefused} for the items whose own content the
    strict reader refuses (one item's lone surrogate does not refuse the batch; see
    strict_json.loads_items). Anything else wrong with the body is an ApiError, as with
    `json_body`."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type",
                       _("send the body as JSON with the header Content-Type: application/json"))
    data = _body_of_declared_length()
    if data is None:  # chunked, oversized (413): werkzeug's reading and its limits
        data = request.get_data(cache=True)
    try:
        return strict_json.loads_items(data, field)
    except strict_json.JsonRefused as refused:
        raise ApiError(400, refused.code, refused.message) from None


def _body_of_declared_length():
    """The body, read straight from the server's input when its Content-Length is within the
    limit (werkzeug's stream wrappers cost tills' polls more than parsing their JSON); None
    for any other body. A body shorter than announced is malformed."""
    length, limit = request.content_length, request.max_content_length
    if length is None or (limit is not None and length > limit) or request.shallow:
        return None
    data = request.environ["wsgi.input"].read(length) if length else b""
    if len(data) != length:
        raise ApiError(400, "malformed_json", _(
            "the body ended after %(read)s of the %(length)s bytes its Content-Length announced",
            read=len(data), length=length))
    return data


def json_object():
    """The request body as a JSON object, or an ApiError saying what is wrong with it."""
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", _(
            "the body must be a JSON object, not %(kind)s",
            kind=JSON_TYPE_NAMES.get(type(body), type(body).__name__)))
    return body


def _unavailable(error):
    """503 database_unavailable with Retry-After: the caller sends the same request again."""
    log.warning("database unavailable for %s %s: %s", request.method, request.path, error)
    response = error_response(503, "database_unavailable", _(
        "the database is busy or unreachable; nothing was stored: send the same request "
        "again"))
    response.headers["Retry-After"] = "5"
    return response


def register_error_handlers(app):
    @app.errorhandler(ApiError)
    def on_api_error(error):
        return error_response(error.status, error.code, error.message)

    @app.errorhandler(DBAPIError)
    def on_database_unavailable(error):
        # Busy (SQLite's lock held past the busy timeout) or unreachable: nothing was stored,
        # and the same request can succeed later.
        if not is_transient(error) or request.path.startswith(ADMIN_PREFIX + "/"):
            raise error
        return _unavailable(error)

    @app.errorhandler(PoolTimeout)
    def on_pool_exhausted(error):
        # Every connection of this process's pool stayed in use past the pool's timeout (a
        # hundred tills pushing at once after an outage, bench/catch_up.py): nothing was
        # stored either, and the same request can succeed later.
        if request.path.startswith(ADMIN_PREFIX + "/"):
            raise error
        return _unavailable(error)

    @app.errorhandler(HTTPException)
    def on_http_error(error):
        if request.path.startswith(ADMIN_PREFIX + "/") and error.code != 413:
            return error
        if error.code in FRIENDLY:
            code, template = FRIENDLY[error.code]
            message = str(template) % {"method": request.method,
                                       "limit": app.config["MAX_CONTENT_LENGTH"]}
        else:
            code = (error.name or "error").lower().replace(" ", "_")
            message = error.description
        response = error_response(error.code, code, message)
        # Keep the headers the error carries, such as the Allow of a 405 (RFC 9110 requires it).
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response
