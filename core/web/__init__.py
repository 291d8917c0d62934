"""The Flask app: the kernel's admin pages plus the blueprints of the installed addons."""
from flask import Flask, Request, current_app
from flask_wtf.csrf import CSRFProtect
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

from core.instance import Instance
from core.plugins import flatten
from core.web.errors import register_error_handlers
from core.web.users import SignInThrottle

csrf = CSRFProtect()


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


def create_app(url=None, catalog=None, instance=None):
    """Build the app for one database; only addons installed there are loaded."""
    instance = instance or Instance(url, catalog)
    if not instance.is_initialised():
        instance.init()
    manager = instance.plugin_manager()
    app = Flask(__name__)
    app.request_class = CoreRequest
    with instance.engine.connect() as connection:
        parameters = instance.parameters(connection, manager)
        app.config["SECRET_KEY"] = parameters.get("core.secret_key")
        app.config["MAX_CONTENT_LENGTH"] = parameters.get("core.max_request_bytes")
    # CSRF protects the admin forms only; JSON endpoints are for tills and declare their own
    # access rules.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.extensions["core"] = instance
    app.extensions["core.plugins"] = manager
    app.extensions["core.sign_in_throttle"] = SignInThrottle()
    csrf.init_app(app)
    register_error_handlers(app)

    from core.web.admin import admin
    app.register_blueprint(admin)
    for blueprint in flatten(manager, "register_routes"):
        app.register_blueprint(blueprint)
    manager.hook.configure_app(app=app)
    return app


def current_instance() -> Instance:
    return current_app.extensions["core"]


def current_plugins():
    return current_app.extensions["core.plugins"]


REBUILD_FLAG = "core.rebuild"


def request_rebuild():
    """Say that this app may be out of date (addons installed or removed, a parameter it reads
    at build time changed), so that `ReloadingApp` checks before the next request instead of
    waiting for its interval: the admin's next page then already has the new addons."""
    current_app.extensions[REBUILD_FLAG] = True
