"""pos_multi_session_sync's public face: what other addons may use, as
`from addons.pos_multi_session_sync import X`.

- `end_run(connection, dbname, multi_session_id, new_run_id)`: the main instance ends a
  multi-session's run when its last session closes.

The protocol itself is HTTP (`POST /pos_multi_session_sync/update`, see README.md); every module
of this package is private.
"""
from .protocol import end_run

__all__ = ["end_run"]
