"""Multi-sessions: POS configs whose tills share their open orders, and which configs belong to
which (membership.py reads and writes that)."""
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

import addons.point_of_sale  # noqa: F401  (defines point_of_sale_config, referred to below)
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


class MultiSessionMember(Model):
    """A POS config in a multi-session: at most one multi-session per config."""
    __tablename__ = "pos_multi_session_member"
    config_id: Mapped[int] = mapped_column(
        ForeignKey("point_of_sale_config.id", ondelete="CASCADE"), primary_key=True)
    multi_session_id: Mapped[int] = mapped_column(
        ForeignKey("pos_multi_session_multi_session.id", ondelete="CASCADE"), index=True)


MODELS = [MultiSession, MultiSessionMember]
