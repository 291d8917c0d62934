"""Request bodies larger than `core.max_request_bytes` are refused with 413, chunked ones too;
JSON bodies beyond the limits of core.web.strict_json with a 400 naming the limit, and a NUL
character in a query string or form field with a 400."""
from flask import Request, request
from werkzeug.exceptions import BadRequest
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

from core.web.errors import ADMIN_PREFIX, ApiError
from core.web.strict_json import JsonRefused


class BodyAtMost(LimitedStream):
    """A streamed (chunked) body that may hold at most `limit` bytes.

    Werkzeug's own `readall` stops at the limit and returns the body cut short, so a JSON body
    over the limit would read as malformed, or even as valid if what was cut off was blank:
    look one byte past the limit and answer 413 when there is more.
    """

    def __init__(self, stream, limit):
        super().__init__(stream, limit, is_max=True)
        self._source = stream

    def readall(self):
        data = super().readall()
        if self.is_exhausted and self._source.read(1):
            self.on_exhausted()  # raises RequestEntityTooLarge
        return data


class CoreRequest(Request):
    def on_json_loading_failed(self, e):
        if isinstance(e, JsonRefused):
            raise ApiError(400, e.code, e.message)
        return super().on_json_loading_failed(e)

    @cached_property
    def stream(self):
        if self.shallow:
            raise RuntimeError("this request was created with shallow=True; its body is unread")
        if (self.content_length is None and self.max_content_length is not None
                and "wsgi.input_terminated" in self.environ):
            return BodyAtMost(self.environ["wsgi.input"], self.max_content_length)
        return get_input_stream(self.environ, max_content_length=self.max_content_length)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_nul_characters():
    """`before_request`: a NUL character in the query string or a form field is refused with a
    400 (PostgreSQL text cannot hold it: a search for `a%00b` was a 500 there)."""
    if not (_query_holds_nul() or _form_holds_nul()):
        return
    message = "the query string or form holds a NUL character (%00), which no field may hold"
    if request.path.startswith(ADMIN_PREFIX + "/"):
        raise BadRequest(message)
    raise ApiError(400, "nul_character", message)


def _holds_nul(pairs):
    return any("\x00" in key or "\x00" in value for key, value in pairs.items(multi=True))


def _query_holds_nul():
    # Decoding the arguments only when the raw query string can hold a NUL keeps this cheap.
    query = request.query_string
    return (b"%00" in query or b"\x00" in query) and _holds_nul(request.args)


def _form_holds_nul():
    return (request.method == "POST" and request.mimetype in FORM_TYPES
            and _holds_nul(request.form))
