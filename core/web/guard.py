"""The admin guard, applied by construction: the kernel puts it on every blueprint that serves
pages under /web (its own and every installed addon's) when it builds the app, and refuses to
build an app where a /web route escapes it. Nothing for an admin module to remember.

Each admin route declares the role it needs with `@requires(role)` (`cashier`, `manager`,
`admin`, or `PUBLIC` for the sign-in page and the health check); a route that declares none
needs an admin. A request is then served only:
- to a signed-in user (a visitor is sent to the sign-in page),
- whose role is that role or above (else 403, a page saying which role it needs),
- with the form token on every POST (else 400): a page of another site cannot post for them.

`admin_blueprint(...)` makes a Blueprint with the guard already on.
"""
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from core.errors import CoreError
from core.web.errors import ADMIN_PREFIX
from core.web.sessions import USER, signed_in_account
from core.web.users import ADMIN, check_role, role_allows

PUBLIC = "public"
ROLE_ATTRIBUTE = "required_role"


def requires(role):
    """Declare the role a view needs: `@requires("manager")` under its route decorator."""
    if role != PUBLIC:
        check_role(role)

    def mark(view):
        setattr(view, ROLE_ATTRIBUTE, role)
        return view
    return mark


def required_role(view):
    """The role `view` declared, ADMIN when it declared none."""
    return getattr(view, ROLE_ATTRIBUTE, ADMIN)


def endpoint_role(endpoint, app=None):
    view = (app or current_app).view_functions.get(endpoint)
    return required_role(view) if view is not None else ADMIN


def may_open(role, endpoint):
    """Whether a user of `role` may open the admin page `endpoint` (for menus and links)."""
    needed = endpoint_role(endpoint)
    return needed == PUBLIC or role_allows(role, needed)


def guard_request():
    """Before every request of a guarded blueprint: sign-in, role, then form token."""
    from core.web import csrf, current_instance
    g.debug = request.args.get("debug") == "1"
    needed = endpoint_role(request.endpoint)
    account = None
    if needed != PUBLIC or USER in session:
        with current_instance().engine.connect() as connection:
            account = signed_in_account(connection)
    g.account = account
    g.login = account.login if account else None
    g.role = account.role if account else None
    if needed != PUBLIC:
        if account is None:
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        if not role_allows(account.role, needed):
            return render_template("forbidden.html", needed=needed), 403
    if request.method == "POST":
        csrf.protect()


def guard(blueprint):
    """Put the guard on `blueprint` (once; before it is first registered)."""
    funcs = blueprint.before_request_funcs.setdefault(None, [])
    if guard_request not in funcs:
        funcs.insert(0, guard_request)
    blueprint.core_guarded = True
    return blueprint


def admin_blueprint(name, import_name, **kwargs):
    """A Blueprint for admin pages (url_prefix under /web), guarded."""
    kwargs.setdefault("url_prefix", ADMIN_PREFIX)
    return guard(Blueprint(name, import_name, **kwargs))


def is_admin_path(rule):
    return rule == ADMIN_PREFIX or rule.startswith(ADMIN_PREFIX + "/")


def register_guarded(app, blueprint):
    """Register `blueprint`, guarded when it serves under /web."""
    if is_admin_path(blueprint.url_prefix or ""):
        guard(blueprint)
    app.register_blueprint(blueprint)


def check_every_admin_route_guarded(app):
    """Refuse an app where a route under /web belongs to no guarded blueprint (say, a blueprint
    without a url_prefix that declares /web/... paths itself)."""
    guarded = {name for name, blueprint in app.blueprints.items()
               if getattr(blueprint, "core_guarded", False)}
    loose = [rule.rule for rule in app.url_map.iter_rules()
             if is_admin_path(rule.rule) and rule.endpoint.rpartition(".")[0] not in guarded]
    if loose:
        raise CoreError(f"routes under {ADMIN_PREFIX} without the admin guard: "
                        f"{', '.join(sorted(loose))}; make their blueprint with "
                        f"core.web.guard.admin_blueprint or give it a url_prefix under "
                        f"{ADMIN_PREFIX}")


def admin_routes(app):
    """(rule, endpoint, methods, role) of every guarded route of `app`, for tests and docs."""
    return [(rule.rule, rule.endpoint, sorted(rule.methods - {"HEAD", "OPTIONS"}),
             endpoint_role(rule.endpoint, app))
            for rule in app.url_map.iter_rules() if is_admin_path(rule.rule)]


def home_endpoint(role):
    """Where a signed-in user of `role` starts on the admin pages: an admin at Apps, others at
    the first menu link they may open, else the start page (a cashier: their tills)."""
    from core.plugins import flatten
    from core.web import current_plugins
    if role_allows(role, ADMIN):
        return "admin.apps"
    for _label, endpoint in flatten(current_plugins(), "register_menu_links"):
        if may_open(role, endpoint):
            return endpoint
    return "start.index"
