"""pos_multi_session's public face: nothing yet for other addons to import.

It works through hooks, its config fields on `pos.config` and the POS page module; every module
of this package is private.
"""

__all__ = []
