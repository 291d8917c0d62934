"""The tables an autonomous till writes: its link to the central instance, checkpoints, cashiers
that came down, push state, sessions sent, the customer outbox and the technical events
journal. The central instance has them too (one addon, one schema) and leaves them empty."""
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model
from core.models import utc_now

from ..wire import FULL


class Link(Model):
    """On a till, its one row: where the central instance is and the till's credentials."""
    __tablename__ = "pos_autonomous_link"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    server_url: Mapped[str] = mapped_column(String(255))
    till_id: Mapped[int] = mapped_column(Integer)
    secret: Mapped[str] = mapped_column(String(128))
    config_id: Mapped[int] = mapped_column(Integer)
    cashiers_digest: Mapped[str] = mapped_column(String(64), default="")
    # The synchroniser's state, for `core autonomous status`, the admin and the POS page.
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_event: Mapped[str] = mapped_column(Text, default="")  # e.g. a full reload and why
    # What the central instance holds back (a till → server table switched off there), in words;
    # empty when nothing is held. The changes stay queued and go when it is switched on again.
    up_held: Mapped[str] = mapped_column(Text, default="")
    # the last jump of the wall clock seen between two passes, in words (the till's alarm)
    clock_alarm: Mapped[str] = mapped_column(Text, default="")


class ShopMember(Model):
    """On a shop (an instance serving several configs), each config beyond the link's first:
    its till's credentials on the central instance (it pushes that config's chain as that till)
    and, as `id`, the row of its push state (the link's config has push state 1)."""
    __tablename__ = "pos_autonomous_shop_member"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    config_id: Mapped[int] = mapped_column(Integer, unique=True)
    till_id: Mapped[int] = mapped_column(Integer)
    secret: Mapped[str] = mapped_column(String(128))


class Checkpoint(Model):
    """On a till, where each table stands: incremental from `version`, or a full import under
    way (`snapshot`, `after` = the last key applied). Written with the rows of each page."""
    __tablename__ = "pos_autonomous_checkpoint"
    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), default=FULL)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    snapshot: Mapped[int | None] = mapped_column(BigInteger)
    after: Mapped[int | None] = mapped_column(BigInteger)
    columns: Mapped[str] = mapped_column(Text, default="")  # comma-separated, as applied
    reason: Mapped[str] = mapped_column(String(32), default="")  # why a full import runs
    rows_done: Mapped[int] = mapped_column(BigInteger, default=0)  # of the full import
    rows_total: Mapped[int] = mapped_column(BigInteger, default=0)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class TillCashierLogin(Model):
    """On a till, the logins that came down as cashiers (removed when the central revokes)."""
    __tablename__ = "pos_autonomous_cashier"
    login: Mapped[str] = mapped_column(String(64), primary_key=True)


class PushState(Model):
    """On a till, its one row: the last ticket number the central instance acknowledged, the
    push serial, the last event it acknowledged and the last push's outcome."""
    __tablename__ = "pos_autonomous_push_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_acknowledged: Mapped[int] = mapped_column(BigInteger, default=0)
    serial: Mapped[int] = mapped_column(BigInteger, default=0)
    events_acknowledged: Mapped[int] = mapped_column(BigInteger, default=0)
    # the last event of this instance's chained journal (point_of_sale) the central holds
    journal_acknowledged: Mapped[int] = mapped_column(BigInteger, default=0)
    last_push_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_refusal: Mapped[str] = mapped_column(Text, default="")  # a gap, broken link... in words


class SessionSent(Model):
    """On a till, each session's state as the central instance acknowledged it (a session whose
    state changed since goes up again)."""
    __tablename__ = "pos_autonomous_session_sent"
    session_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(20))


class OutboxMessage(Model):
    """On a till, a customer change waiting for the central instance: an edit (`update`) or the
    deletion request of an abandoned creation (`delete`), sent in id order by the next pass."""
    __tablename__ = "pos_autonomous_outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    partner_id: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class Event(Model):
    """On a till, its journal of technical events (the original's JET): synchroniser runs and
    errors, full reloads, clock changes seen, database restores detected. Sent up with the
    pushes; never deleted on the till."""
    __tablename__ = "pos_autonomous_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)


MODELS = [Link, ShopMember, Checkpoint, TillCashierLogin, PushState, SessionSent, OutboxMessage,
          Event]
