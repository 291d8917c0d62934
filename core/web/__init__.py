"""The Flask app: the kernel's admin pages plus the blueprints of the installed addons."""
from flask import Flask, current_app
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, ValidationError

from core import i18n
from core.instance import Instance
from core.plugins import flatten
from core.web.errors import register_error_handlers
from core.web.request_limits import CoreRequest, refuse_nul_characters
from core.web.sessions import InstanceSessionInterface, configure_limits
from core.web.strict_json import StrictJSONProvider
from core.web.users import SignInThrottle

csrf = CSRFProtect()
# Set on an app by a page that changed what the app is built from; see `request_rebuild`.
REBUILD_FLAG = "core.rebuild"
MAX_ID = 2**31 - 1


def create_app(url=None, catalog=None, instance=None):
    """Build the app for one database; only addons installed there are loaded."""
    instance = instance or Instance(url, catalog)
    if not instance.is_initialised():
        instance.init()
    manager = instance.plugin_manager()
    app = Flask(__name__)
    app.request_class = CoreRequest
    app.json = StrictJSONProvider(app)
    with instance.engine.connect() as connection:
        parameters = instance.parameters(connection, manager)
        app.config["SECRET_KEY"] = parameters.get("core.secret_key")
        app.config["MAX_CONTENT_LENGTH"] = parameters.get("core.max_request_bytes")
        proxies = parameters.get("core.proxy_count")
        configure_limits(app, parameters)
        default_locale = parameters.get("core.default_locale")
    if proxies > 0:
        # Behind nginx: the client's scheme (Secure cookies over HTTPS) and address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.session_interface = InstanceSessionInterface()
    # CSRF protects the admin forms only; JSON endpoints are for tills and declare their own
    # access rules.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.extensions["core"] = instance
    app.extensions["core.plugins"] = manager
    app.extensions["core.sign_in_throttle"] = SignInThrottle()
    csrf.init_app(app)
    i18n.init_app(app, instance.loadable_addons(), default_locale)
    register_error_handlers(app)
    app.before_request(refuse_nul_characters)
    # Ids in paths (`<int:...>`) beyond what an id column holds are unknown: 404, not a 500
    # from the database.
    app.url_map.converters["int"] = IdConverter

    from core.web.admin import admin
    from core.web.guard import check_every_admin_route_guarded, register_guarded
    from core.web.health import health
    from core.web.start import start
    from core.web.user_pages import users
    for blueprint in [admin, health, start, users, *flatten(manager, "register_routes")]:
        register_guarded(app, blueprint)  # every blueprint under /web gets the admin guard
    check_every_admin_route_guarded(app)
    manager.hook.configure_app(app=app)
    return app


class IdConverter(IntegerConverter):
    """`<int:...>` for database ids: 0 to 2^31 - 1 (PostgreSQL's integer)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value):
        if len(value) > len(str(MAX_ID)):
            raise ValidationError()
        return super().to_python(value)


def current_instance() -> Instance:
    return current_app.extensions["core"]


def current_plugins():
    return current_app.extensions["core.plugins"]



def request_rebuild():
    """Say that this app may be out of date (addons installed or removed, a parameter it reads
    at build time changed), so that `ReloadingApp` checks before the next request instead of
    waiting for its interval: the admin's next page then already has the new addons."""
    current_app.extensions[REBUILD_FLAG] = True
