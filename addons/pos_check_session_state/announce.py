"""Telling a config's tills at once that its session closed: a message on the bus, when
pos_longpolling is installed (the page blocks within a second or two instead of at its next
periodic check, which stays as the fallback).

The message, on the channel `[db_name, "pos.session_state", "<config id>"]`:
`{"session_id": 7, "name": "Shop/00007", "state": "closed"}`.
"""
from sqlalchemy import select

from core.db import database_name

CHANNEL = "pos.session_state"


def announce_closed(engine, manager, session_id, config_id):
    if not manager.has_plugin("pos_longpolling"):
        return
    from addons.point_of_sale import PosSession
    from addons.pos_longpolling import BusTransaction, pos_channel
    with BusTransaction(engine) as bus:
        row = bus.connection.execute(select(PosSession.name, PosSession.state)
                                     .where(PosSession.id == session_id)).first()
        if row is None:
            return
        bus.send(pos_channel(database_name(engine.url), CHANNEL, config_id),
                 {"session_id": session_id, "name": row.name, "state": row.state})
