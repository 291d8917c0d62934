"""pos_check_session_state's public face: nothing yet for other addons to import.

It works through point_of_sale's `check_pos_order` hook, its config field and its routes; every
module of this package is private.
"""

__all__ = []
