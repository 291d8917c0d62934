"""The customer rules (customers.py) over HTTP: a refusal's status, and one transaction that
turns a Rejection into the JSON error a till understands. point_of_sale's own customer routes
use it, and so does any addon that receives customers otherwise (pos_autonomous's central
routes for its tills), so a refusal reads the same whichever route gave it."""
from core.web import current_instance
from core.web.errors import ApiError

from .fields import Rejection

# A refusal's HTTP status; others are 400.
STATUS = {"unknown_customer": 404, "no_template": 409, "template_customer": 409,
          "needs_server": 503, "not_your_creation": 403, "abandon_too_late": 409}


def customer_refusal(rejection):
    """The ApiError (status, code, message) of a customer Rejection."""
    return ApiError(STATUS.get(rejection.code, 400), rejection.code, rejection.message)


def run_customer_change(change):
    """`change(connection)` in one transaction on this instance, returning what it returns; a
    Rejection raised in it rolls the transaction back and becomes its JSON error."""
    try:
        with current_instance().engine.begin() as connection:
            return change(connection)
    except Rejection as rejection:
        raise customer_refusal(rejection) from None
