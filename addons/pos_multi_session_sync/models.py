"""The sync server's copy of the shared orders. Rows name the main instance's records by
(dbname, integer id) and never by foreign key: this server may run on a database of its own."""
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model
from core.models import utc_now

DRAFT, DELETED, UNPAID = "draft", "deleted", "unpaid"


class SyncMultiSession(Model):
    """One per multi-session: its row is the lock every update of that multi-session takes."""
    __tablename__ = "pos_multi_session_sync_multi_session"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dbname: Mapped[str] = mapped_column(String(128))
    multi_session_id: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int] = mapped_column(Integer, default=0)  # the last order number given
    run_id: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (UniqueConstraint("dbname", "multi_session_id"),)


class SyncPos(Model):
    """A till of a multi-session and the number of the last bus message sent to it."""
    __tablename__ = "pos_multi_session_sync_pos"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dbname: Mapped[str] = mapped_column(String(128))
    multi_session_id: Mapped[int] = mapped_column(Integer)
    pos_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(Integer)
    message_id: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("dbname", "multi_session_id", "pos_id"),)


class SyncOrder(Model):
    """The last merged version of a shared order, with what the line merge needs: the revision
    at which each line (and the rest of the order, its "header") last changed, when each
    removed line was removed, and digests of their last versions."""
    __tablename__ = "pos_multi_session_sync_order"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dbname: Mapped[str] = mapped_column(String(128))
    multi_session_id: Mapped[int] = mapped_column(Integer)
    uid: Mapped[str] = mapped_column(String(64))
    order_json: Mapped[str] = mapped_column(Text)
    sequence_number: Mapped[int] = mapped_column(Integer)
    nonce: Mapped[str | None] = mapped_column(String(128))  # of the last send, to spot repeats
    run_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=DRAFT, index=True)
    revision_id: Mapped[int] = mapped_column(Integer, default=1)
    line_stamps: Mapped[str] = mapped_column(Text, default="{}")  # JSON {line uid: revision}
    tombstones: Mapped[str] = mapped_column(Text, default="{}")  # JSON {line uid: revision}
    header_stamp: Mapped[int] = mapped_column(Integer, default=1)
    # JSON {"lines": {uid: [[revision, digest], ...]}, "header": [...]}: see merge.py
    versions: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now,
                                                 onupdate=utc_now)

    __table_args__ = (UniqueConstraint("dbname", "multi_session_id", "uid"),)


MODELS = [SyncMultiSession, SyncPos, SyncOrder]
