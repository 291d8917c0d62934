"""One way to say an error: `{"error": {"code": ..., "message": ...}}` with the right 4xx.

JSON routes raise `ApiError` (or any werkzeug HTTPException); admin pages keep HTML errors.
"""
from flask import jsonify, request
from werkzeug.exceptions import HTTPException

ADMIN_PREFIX = "/web"

# Messages a person can act on, for the errors werkzeug raises itself.
FRIENDLY = {
    404: ("not_found", "no such endpoint; check the URL and the installed addons"),
    405: ("method_not_allowed", "this endpoint does not accept {method}"),
    413: ("payload_too_large", "the request body is larger than the {limit} bytes this server "
                               "accepts (system parameter core.max_request_bytes)"),
}


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status, code, message):
    response = jsonify(error={"code": code, "message": message})
    response.status_code = status
    return response


def json_object():
    """The request body as a JSON object, or an ApiError saying what is wrong with it."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type",
                       "send the body as JSON with the header Content-Type: application/json")
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "malformed_json", "the body is not valid JSON")
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body",
                       f"the body must be a JSON object, not a {type(body).__name__}")
    return body


def register_error_handlers(app):
    @app.errorhandler(ApiError)
    def on_api_error(error):
        return error_response(error.status, error.code, error.message)

    @app.errorhandler(HTTPException)
    def on_http_error(error):
        if request.path.startswith(ADMIN_PREFIX + "/") and error.code != 413:
            return error
        code, message = FRIENDLY.get(error.code, (None, None))
        if code is None:
            code = (error.name or "error").lower().replace(" ", "_")
            message = error.description
        message = message.format(method=request.method, limit=app.config["MAX_CONTENT_LENGTH"])
        return error_response(error.code, code, message)
