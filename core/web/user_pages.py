"""The admin's Users page: who may sign in, their role, and what installed addons restrict them
to (the `UserScope`s: point_of_sale's POS configs). Admins only."""
from flask import flash, redirect, render_template, request, url_for

from core.errors import CoreError
from core.i18n import _
from core.web import current_instance, current_plugins
from core.web.guard import admin_blueprint, requires
from core.web.users import (
    ADMIN,
    MANAGER,
    ROLES,
    list_users,
    set_password,
    set_role,
    user_id_of,
    user_scopes,
)

users = admin_blueprint("users", __name__, template_folder="templates")


@users.get("/users")
@requires(ADMIN)
def index():
    scopes = user_scopes(current_plugins())
    with current_instance().engine.connect() as connection:
        rows = [{"user": user, "scopes": {name: scope.read(connection, user.id)
                                          for name, scope in scopes.items()}}
                for user in list_users(connection)]
    return render_template("users.html", rows=rows, scopes=scopes)


@users.route("/users/new", methods=["GET", "POST"])
@users.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(ADMIN)
def form(user_id=None):
    scopes = user_scopes(current_plugins())
    engine = current_instance().engine
    with engine.connect() as connection:
        user = next((u for u in list_users(connection) if u.id == user_id), None)
        if user_id is not None and user is None:
            return render_template("user_form.html", missing=user_id), 404
        choices = {name: scope.choices(connection) for name, scope in scopes.items()}
        values = _stored_values(connection, user, scopes)
    error = None
    if request.method == "POST":
        values = _posted_values(user, scopes)
        try:
            save(engine, user, values, request.form.get("password", ""), scopes)
            flash(_('Saved %(login)s.', login=values['login']))
            return redirect(url_for("users.index"))
        except CoreError as exc:
            error = str(exc)
    return render_template("user_form.html", user=user, values=values, roles=ROLES,
                           scopes=scopes, choices=choices, error=error), 400 if error else 200


def _stored_values(connection, user, scopes):
    """The form's values for `user` as stored (a new user: no login, manager, no scopes)."""
    if user is None:
        return {"login": "", "role": MANAGER, **{name: [] for name in scopes}}
    return {"login": user.login, "role": user.role,
            **{name: scope.read(connection, user.id) for name, scope in scopes.items()}}


def _posted_values(user, scopes):
    """The form's values as posted; an existing user's login is not changed here."""
    return {"login": user.login if user else request.form.get("login", "").strip(),
            "role": request.form.get("role", ""),
            **{name: request.form.getlist(name) for name in scopes}}


def save(engine, user, values, password, scopes):
    """Create or change a user and their scopes in one transaction (a refusal stores nothing)."""
    with engine.begin() as connection:
        if user is None:
            if user_id_of(connection, values["login"]) is not None:
                raise CoreError(f"there is already a user {values['login']!r}")
            set_password(connection, values["login"], password, values["role"])
            user_id = user_id_of(connection, values["login"])
        else:
            user_id = user.id
            if password:
                set_password(connection, user.login, password)
            set_role(connection, user_id, values["role"])
        for name, scope in scopes.items():
            scope.write(connection, user_id, values[name])
