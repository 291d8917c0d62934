"""The admin pages: sign-in, Apps, System Parameters (developer mode) and record settings."""
import re
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select

from core import config_fields, i18n
from core.errors import CoreError
from core.i18n import _
from core.models import User
from core.params import audit_parameter_change
from core.plugins import flatten
from core.times import as_utc
from core.web import current_instance, current_plugins, request_rebuild
from core.web.guard import (
    PUBLIC,
    admin_blueprint,
    guard_request,
    home_endpoint,
    may_open,
    requires,
)
from core.web.sessions import end_session, signed_in_user, start_session
from core.web.users import ADMIN, CASHIER, MANAGER, authenticate, has_any_user

admin = admin_blueprint("admin", __name__, template_folder="templates")
# Kept for admin modules written before the guard was applied by construction: the kernel puts
# the same guard on every blueprint under /web anyway.
require_login_and_csrf = guard_request


def moment(value):
    """A stored time as admin pages show it: UTC, to the second ("" for none; PostgreSQL gives
    it back in its own time zone, SQLite naive)."""
    return "" if value is None else as_utc(value).strftime("%Y-%m-%d %H:%M:%S")


def local_path(target):
    r"""`target` if it is a path on this site, else None: never send a signed-in admin elsewhere.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so `/\t/evil`
    and `/\\evil` mean `//evil`, another host: check the URL as a browser will read it.
    """
    target = re.sub(r"[\x00-\x1f\x7f]", "", target or "").replace("\\", "/")
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        return None
    return target


def debug_args():
    return {"debug": "1"} if g.debug else {}


def developer_mode_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not g.debug:
            return render_template("developer_mode.html"), 404
        return view(*args, **kwargs)
    return wrapper


def render_login(error=None):
    """The sign-in page; it says how to make a first account only when there is none."""
    with current_instance().engine.connect() as connection:
        has_users = has_any_user(connection)
    return render_template("login.html", error=error, has_users=has_users)


@admin.route("/login", methods=["GET", "POST"])
@requires(PUBLIC)
def login():
    if request.method == "GET":
        return render_login()
    throttle = current_app.extensions["core.sign_in_throttle"]
    login_name = (request.form.get("login") or "").strip()
    wait = throttle.wait_seconds(login_name)
    if wait:
        error = f"Too many failed sign-ins for {login_name}: try again in {wait} seconds."
        return render_login(error), 429
    instance = current_instance()
    with instance.engine.begin() as connection:
        user_id = authenticate(connection, login_name, request.form.get("password"))
        if user_id is None:
            user_id = current_plugins().hook.authenticate_user(
                connection=connection, login=login_name, secret=request.form.get("password"))
        if user_id is not None:
            start_session(connection, session, user_id, instance.db_name)
            current_plugins().hook.audit_event(connection=connection, kind="sign_in",
                                               details={"login": login_name})
            role = connection.scalar(select(User.role).where(User.id == user_id))
    if user_id is None:
        throttle.failed(login_name)
        return render_login("Wrong login or password."), 401
    throttle.succeeded(login_name)
    return redirect(local_path(request.args.get("next")) or url_for(home_endpoint(role)))


@admin.post("/language")
@requires(PUBLIC)
def choose_language():
    """The language this browser's admin pages speak (a cookie, kept a year; "" goes back to
    the browser's Accept-Language). The tills follow their config's locale whatever it says."""
    code = request.form.get("language", "")
    response = redirect(local_path(request.form.get("next")) or url_for("admin.apps"))
    if code in i18n.available_languages():
        response.set_cookie(i18n.LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600,
                            samesite="Lax", httponly=True, secure=request.is_secure)
    else:
        response.delete_cookie(i18n.LANGUAGE_COOKIE)
    return response


@admin.post("/logout")
@requires(CASHIER)
def logout():
    with current_instance().engine.begin() as connection:
        login_name = signed_in_user(connection)
        end_session(connection)
        if login_name is not None:
            current_plugins().hook.audit_event(connection=connection, kind="sign_out",
                                               details={"login": login_name})
    return redirect(url_for("admin.login"))


@admin.get("/")
@requires(CASHIER)
def home():
    endpoint = home_endpoint(g.role)
    return redirect(url_for(endpoint, **(debug_args() if endpoint == "admin.apps" else {})))


# -- Apps -------------------------------------------------------------------------------------

@admin.get("/apps")
@requires(ADMIN)
def apps():
    instance = current_instance()
    installed = instance.installed()
    rows = [{"addon": addon, "installed": addon.name in installed}
            for addon in instance.catalog.addons.values()]
    return render_template("apps.html", rows=rows)


@admin.post("/apps/<name>/install")
@requires(ADMIN)
def install(name):
    try:
        done = current_instance().install([name])
        flash(f"Installed: {', '.join(done)}." if done else f"{name} was already installed.")
    except CoreError as exc:
        flash(str(exc), "error")
    request_rebuild()  # even after an error: the dependencies before it may be installed
    return redirect(url_for("admin.apps", **debug_args()))


@admin.route("/apps/<name>/uninstall", methods=["GET", "POST"])
@requires(ADMIN)
def uninstall(name):
    instance = current_instance()
    try:
        plan = instance.plan_uninstall([name])
        if request.method == "GET":
            return render_template("uninstall.html", name=name, plan=plan)
        instance.uninstall([name])
        flash(_('Uninstalled: %(plan)s.', plan=', '.join(plan)))
    except CoreError as exc:
        flash(str(exc), "error")
    if request.method == "POST":
        request_rebuild()
    return redirect(url_for("admin.apps", **debug_args()))


# -- System parameters (developer mode, as in Odoo's Settings > Technical) ---------------------

@admin.get("/parameters")
@requires(ADMIN)
@developer_mode_only
def parameters():
    instance = current_instance()
    with instance.engine.connect() as connection:
        items = instance.parameters(connection, current_plugins()).items()
    return render_template("parameters.html", items=items)


@admin.route("/parameters/edit", methods=["GET", "POST"])
@requires(ADMIN)
@developer_mode_only
def edit_parameter():
    instance = current_instance()
    key = (request.values.get("key") or "").strip()
    error = None
    with instance.engine.begin() as connection:
        params = instance.parameters(connection, current_plugins())
        if request.method == "POST":
            try:
                before = params.raw(key)
                after = params.set(key, request.form.get("value", ""))
                audit_parameter_change(connection, current_plugins(), params.spec(key), before,
                                       after)
                flash(_('Saved %(key)s.', key=key))
                request_rebuild()
                return redirect(url_for("admin.parameters", **debug_args()))
            except CoreError as exc:
                error = str(exc)
        spec = params.specs.get(key)
        value = request.form.get("value") if error else (params.raw(key) if spec else "")
    return render_template("parameter_form.html", key=key, spec=spec, value=value, error=error,
                           declared=sorted(params.specs)), 400 if error else 200


# -- Record settings: the config fields addons declare for a form ------------------------------

def declared_fields(form):
    """The config fields installed addons add to `form`, each marked with its owning addon."""
    return config_fields.declared_fields(current_plugins(), form)


@admin.route("/settings/<form>/<int:record_id>", methods=["GET", "POST"])
@requires(MANAGER)
def record_settings(form, record_id):
    fields = declared_fields(form)
    if not fields:
        abort(404)
    errors = {}
    engine = current_instance().engine
    if request.method == "POST":
        cleaned, errors = config_fields.validate(fields, request.form)
        if not errors:
            with engine.begin() as connection:
                config_fields.write_values(connection, form, record_id, fields, cleaned)
            flash(_('Settings saved.'))
            return redirect(request.full_path)
        current = dict(request.form)
    else:
        with engine.connect() as connection:
            current = config_fields.read_values(connection, form, record_id, fields)
    return render_template("record_settings.html", form=form, record_id=record_id,
                           fields=fields, values=current, errors=errors), 400 if errors else 200


@admin.app_context_processor
def addon_contributions():
    """For templates: `assets(page)`, the script and stylesheet URLs installed addons add to a
    page, and `menu_links()`, the (label, endpoint) links they add to the admin header."""
    def assets(page):
        return flatten(current_plugins(), "register_assets", page=page)

    def menu_links():
        return [(label, endpoint) for label, endpoint in flatten(current_plugins(),
                                                                 "register_menu_links")
                if may_open(g.get("role"), endpoint)]
    return {"assets": assets, "menu_links": menu_links, "may_open": may_open}
