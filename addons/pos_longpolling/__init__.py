"""pos_longpolling's public face: what other addons may use, as
`from addons.pos_longpolling import X`.

- sending on the bus: `BusTransaction` (messages sent when the transaction commits) and
  `pos_channel(db_name, name, config_id)`, the channel a till of that config listens on;
  `NumberedCopies`: one message encoded once for many tills, each copy with its own number
  (`BusTransaction.send_encoded`); `bus_transaction(engine)`: the same, committed together
  with the others of the moment on SQLite (group_commit.py), for routes tills call often;
  `uninterrupted(connection)`: the statements of a block that holds a lock others wait for
  keep the gevent worker until they are answered (uninterrupted.py);
- who is calling: `caller_scope()` (ANY_CONFIG, or the caller's POS token: its instance,
  config and multi-sessions) and `require_pos(scope, pos_id, db_name)`;
- `json_route`: a view decorator taking a plain JSON body or Odoo's JSON-RPC envelope;
- hooks other addons implement: `hookspecs.py` (`longpolling_cors_paths`,
  `longpolling_pos_channels`).

Every other module of this package is private.
"""
from .access import caller_scope, require_pos
from .bus import BusTransaction, pos_channel
from .encoding import NumberedCopies
from .group_commit import bus_transaction
from .jsonrpc import json_route
from .uninterrupted import uninterrupted

__all__ = ["BusTransaction", "bus_transaction", "NumberedCopies", "pos_channel", "caller_scope",
           "require_pos", "json_route", "uninterrupted"]
