"""pos_customer_display's public face: nothing yet for other addons to import.

It works through its routes, its bus channel (`pos.customer_display`, declared with
pos_longpolling's `longpolling_pos_channels`) and its module on the POS page; every module of
this package is private.
"""

__all__ = []
