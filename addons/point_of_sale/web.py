"""point_of_sale's main blueprint (/pos: the page tills run, its data, the order push, the
till's customers), defined apart from its routes so that routes.py and customer_routes.py each
add theirs without importing each other."""
from flask import Blueprint

blueprint = Blueprint("point_of_sale", __name__, url_prefix="/pos", static_folder="static",
                      template_folder="templates")
