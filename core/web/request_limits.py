"""Request bodies larger than `core.max_request_bytes` are refused with 413, chunked ones too."""
from flask import Request
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream


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
    @cached_property
    def stream(self):
        if self.shallow:
            raise RuntimeError("this request was created with shallow=True; its body is unread")
        if (self.content_length is None and self.max_content_length is not None
                and "wsgi.input_terminated" in self.environ):
            return BodyAtMost(self.environ["wsgi.input"], self.max_content_length)
        return get_input_stream(self.environ, max_content_length=self.max_content_length)
