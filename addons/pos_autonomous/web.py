"""pos_autonomous's three blueprints, which the routes of both machines join: `/pos_autonomous`
(the tills' and the POS page's HTTP, the static files), the admin pages and the admin's forms
under `/web/pos_autonomous` (the kernel's guard: each route declares its role; the central's
pages need an admin, a till's a manager of that till). Defined here, apart from their routes,
so central/ and till/ each add theirs without importing each other."""
from flask import Blueprint, g, redirect, render_template, url_for

from core.web.guard import admin_blueprint as guarded_blueprint
from core.web.users import ADMIN, role_allows

blueprint = Blueprint("pos_autonomous", __name__, url_prefix="/pos_autonomous",
                      static_folder="static")

admin_blueprint = guarded_blueprint("pos_autonomous_admin", __name__,
                                    url_prefix="/web/pos_autonomous", template_folder="templates")
forms_blueprint = guarded_blueprint("pos_autonomous_forms", __name__,
                                    url_prefix="/web/pos_autonomous")


def central_needs_an_admin(is_till):
    """The 403 page when a manager opens a page of the central instance that a till's manager
    may open on a till (its status, its timings); None when they may."""
    if is_till or role_allows(g.role, ADMIN):
        return None
    return render_template("forbidden.html", needed=ADMIN), 403


def back_to_index():
    """After an admin form: the admin page again (303: the browser GETs it)."""
    return redirect(url_for("pos_autonomous_admin.index"), code=303)
