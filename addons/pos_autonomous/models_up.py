"""pos_autonomous's tables of the up direction (till → central, #14). Both instances have them
(one addon, one schema); the central instance writes the first five, a till the last four."""
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model
from core.models import utc_now

# -- central ---------------------------------------------------------------------------------


class TillPush(Model):
    """Per till, what the central instance got from it: the last ticket number acknowledged,
    the highest push serial seen (a lower one means the till's database went back: a restore)
    and when it last pushed."""
    __tablename__ = "pos_autonomous_till_push"
    till_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_acknowledged: Mapped[int] = mapped_column(BigInteger, default=0)
    serial: Mapped[int] = mapped_column(BigInteger, default=0)
    last_push_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Acknowledgement(Model):
    """The acknowledgement journal: one row per push received, what it held and what came of
    it (BOFiP §210: the flow from the till is traceable)."""
    __tablename__ = "pos_autonomous_ack"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    till_id: Mapped[int] = mapped_column(Integer)
    config_id: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    serial: Mapped[int] = mapped_column(BigInteger)
    first_number: Mapped[int | None] = mapped_column(BigInteger)
    last_number: Mapped[int | None] = mapped_column(BigInteger)
    head_number: Mapped[int] = mapped_column(BigInteger)
    head_link: Mapped[str] = mapped_column(String(64))
    stored: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    refused_number: Mapped[int | None] = mapped_column(BigInteger)
    refused_status: Mapped[str] = mapped_column(String(16), default="")
    acknowledged: Mapped[int] = mapped_column(BigInteger)  # the config's head after the push

    __table_args__ = (Index("ix_pos_autonomous_ack_till", "till_id", "id"),)


class Alarm(Model):
    """Something the central admin must see: a gap, a broken link, a conflict, a chain the till
    itself found broken, a database restore on a till, a session that could not be stored.
    The same alarm raised again counts up instead of piling up rows."""
    __tablename__ = "pos_autonomous_alarm"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    till_id: Mapped[int] = mapped_column(Integer)
    config_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    first_number: Mapped[int | None] = mapped_column(BigInteger)
    last_number: Mapped[int | None] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_pos_autonomous_alarm_open", "till_id", "resolved_at"),)


class TillSession(Model):
    """A till's session as the central instance stores it: the till's own session id and name,
    and the central POS session that stands for it (same name, same state, same times). The
    entries name their session; this tells the till's from the central's own of that name."""
    __tablename__ = "pos_autonomous_till_session"
    till_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    till_session_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[int] = mapped_column(Integer, unique=True)

    __table_args__ = (Index("ix_pos_autonomous_till_session_name", "till_id", "name"),)


class TillEvent(Model):
    """The tills' technical events journals, as received (one row per till event)."""
    __tablename__ = "pos_autonomous_till_event"
    till_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


# -- till ------------------------------------------------------------------------------------

class PushState(Model):
    """On a till, its one row: the last ticket number the central instance acknowledged, the
    push serial, the last event it acknowledged and the last push's outcome."""
    __tablename__ = "pos_autonomous_push_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_acknowledged: Mapped[int] = mapped_column(BigInteger, default=0)
    serial: Mapped[int] = mapped_column(BigInteger, default=0)
    events_acknowledged: Mapped[int] = mapped_column(BigInteger, default=0)
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


UP_MODELS = [TillPush, Acknowledgement, Alarm, TillSession, TillEvent, PushState, SessionSent,
             OutboxMessage, Event]
