"""Multi-sessions: POS configs whose tills share their open orders. Which configs belong to one
is the POS config field `multi_session_id` (see membership.py), so it shows on the config form."""
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model


class MultiSession(Model):
    __tablename__ = "pos_multi_session_multi_session"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The run: +1 (and the sync server's order counter back to 0) when the last open session
    # of the member configs closes; tills drop shared orders of an older run.
    run_id: Mapped[int] = mapped_column(Integer, default=1)
    # Where the tills sync: "" = this instance, else the base URL of a separate sync server.
    sync_server: Mapped[str] = mapped_column(String(255), default="")


MODELS = [MultiSession]
