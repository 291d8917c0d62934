"""point_of_sale's public face: what other addons may use, as `from addons.point_of_sale import X`.

- the records: `PosConfig`, `PosSession`, `Product`, `Partner`, `Order`, `OrderLine`,
  `Payment`, and the session states (`OPENING_CONTROL`, `OPENED`, `CLOSING_CONTROL`, `CLOSED`);
- sessions: `get_config`, `current_session`, `open_session`, `close_session`,
  `announce_closed` (after the closing committed), `SessionError`;
- orders: `parse_order` (wire form -> `ParsedOrder`, whose `to_wire()` goes back),
  `push_orders`, `compute_totals`, `Rejection`;
- who is calling: `caller_config_scope`, `require_config_access`, `ANY_CONFIG`;
- POS tokens: `issue_token`, `verify_token`, `TokenError`;
- hooks other addons implement: `hookspecs.py` (`check_pos_order`, `extend_pos_data`,
  `pos_session_closed`, `pos_session_closed_committed`).

Every other module of this package is private and may change without notice.
"""
from .access import ANY_CONFIG, caller_config_scope, require_config_access
from .models import (
                     CLOSED,
                     CLOSING_CONTROL,
                     OPENED,
                     OPENING_CONTROL,
                     Order,
                     OrderLine,
                     Partner,
                     Payment,
                     PosConfig,
                     PosSession,
                     Product,
)
from .orders import ParsedOrder, Rejection, compute_totals, parse_order, push_orders
from .sessions import (
                     SessionError,
                     announce_closed,
                     close_session,
                     current_session,
                     get_config,
                     open_session,
)
from .tokens import TokenError, issue_token, verify_token

__all__ = [
    "ANY_CONFIG", "caller_config_scope", "require_config_access",
    "CLOSED", "CLOSING_CONTROL", "OPENED", "OPENING_CONTROL",
    "Order", "OrderLine", "Partner", "Payment", "PosConfig", "PosSession", "Product",
    "ParsedOrder", "Rejection", "compute_totals", "parse_order", "push_orders",
    "SessionError", "announce_closed", "close_session", "current_session", "get_config", "open_session",
    "TokenError", "issue_token", "verify_token",
]
