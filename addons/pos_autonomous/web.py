"""pos_autonomous's three blueprints, which the routes of both machines join: `/pos_autonomous`
(the tills' and the POS page's HTTP, the static files), the admin pages and the admin's forms
under `/web/pos_autonomous` (signed-in admins, CSRF on every POST). Defined here, apart from
their routes, so central/ and till/ each add theirs without importing each other."""
from flask import Blueprint, redirect, url_for

from core.web.admin import require_login_and_csrf

blueprint = Blueprint("pos_autonomous", __name__, url_prefix="/pos_autonomous",
                      static_folder="static")

admin_blueprint = Blueprint("pos_autonomous_admin", __name__, url_prefix="/web/pos_autonomous",
                            template_folder="templates")
admin_blueprint.before_request(require_login_and_csrf)

forms_blueprint = Blueprint("pos_autonomous_forms", __name__, url_prefix="/web/pos_autonomous")
forms_blueprint.before_request(require_login_and_csrf)


def back_to_index():
    """After an admin form: the admin page again (303: the browser GETs it)."""
    return redirect(url_for("pos_autonomous_admin.index"), code=303)
