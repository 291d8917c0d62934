"""Demo: the Shop and Bar tills (configs 1 and 2) share their orders, synced here."""
from sqlalchemy import insert, select

from .membership import set_membership
from .models import MultiSession

DEMO_NAME = "Shop floor"
DEMO_MEMBERS = (1, 2)


def load_demo(connection):
    if connection.scalar(select(MultiSession.id).where(MultiSession.name == DEMO_NAME)):
        return
    multi_session_id = connection.execute(insert(MultiSession).values(
        name=DEMO_NAME, active=True, run_id=1, sync_server="")).inserted_primary_key[0]
    for config_id in DEMO_MEMBERS:
        set_membership(connection, config_id, multi_session_id)
