"""The tables the central instance writes: change tracking, Tables to synchronise, the tills
and their cashiers, package builds, exports, and what the tills pushed (pushes, the
acknowledgement journal, alarms, tills' sessions and events). A till has them too (one addon,
one schema) and leaves them empty."""
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model
from core.models import utc_now

from ..wire import INCREMENTAL


class Change(Model):
    """The latest change of one row of a declared table: its version, or its tombstone."""
    __tablename__ = "pos_autonomous_change"
    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    row_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # NULL while the writing transaction runs on PostgreSQL; set at its commit (tracking.py).
    version: Mapped[int | None] = mapped_column(BigInteger)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)

    __table_args__ = (
        Index("ix_pos_autonomous_change_table_version", "table_name", "version"),
        Index("ix_pos_autonomous_change_version", "version"),  # the newest version, at once
        Index("ix_pos_autonomous_change_tombstones", "deleted", "changed_at"),
        # Rows of transactions still running (PostgreSQL): the commit gives them versions.
        Index("ix_pos_autonomous_change_pending", "table_name",
              postgresql_where=text("version IS NULL"), sqlite_where=text("version IS NULL")),
    )


class SyncTable(Model):
    """A row of *Tables to synchronise*: one declared table in one direction."""
    __tablename__ = "pos_autonomous_sync_table"
    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)  # down / up
    kind: Mapped[str] = mapped_column(String(16), default=INCREMENTAL)  # incremental / full
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TableState(Model):
    """Per declared table on the central instance: the largest version whose tombstones were
    purged (a till below it must reload the table) and whether its triggers are in place."""
    __tablename__ = "pos_autonomous_table"
    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    purged_version: Mapped[int] = mapped_column(BigInteger, default=0)
    tracked_since: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Till(Model):
    """An autonomous till known to the central instance: its config and its credentials (only
    the SHA-256 of its secret is kept). A shop (one instance serving several configs) is one
    till per config, each its config's one writer, grouped under the first: `shop_id` is the
    first one's id on every till of the shop (itself included), NULL on a till alone. The
    first one pulls for the whole shop; each pushes its own config's chain."""
    __tablename__ = "pos_autonomous_till"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    config_id: Mapped[int] = mapped_column(Integer, index=True)
    shop_id: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_contact_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TillCashier(Model):
    """An admin user allowed to sign in on a till (the account comes down with its data)."""
    __tablename__ = "pos_autonomous_till_cashier"
    till_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class PackageBuild(Model):
    """A till's package made in the background for the central admin's New till (builds.py):
    what was asked, where it stands (rows copied of how many), how it ended and its file."""
    __tablename__ = "pos_autonomous_package_build"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    config_id: Mapped[int] = mapped_column(Integer)
    # every config of a shop's package, comma-separated ("" or the one config: a till alone)
    config_ids: Mapped[str] = mapped_column(Text, default="")
    # The config while the build is queued or running, NULL after: unique, so one build per
    # config at a time, whichever worker the second request reaches.
    building_config: Mapped[int | None] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    server_url: Mapped[str] = mapped_column(String(255))
    cashiers: Mapped[str] = mapped_column(Text, default="")  # logins, comma-separated
    state: Mapped[str] = mapped_column(String(16))  # queued, running, done, failed
    till_id: Mapped[int | None] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_total: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str] = mapped_column(Text, default="")  # why it failed, in words
    # Unused: the package is kept in the database (PackagePart) until downloaded.
    file_path: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    downloaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PackagePart(Model):
    """A finished package's bytes, in parts, until downloaded (builds.py): kept in the database,
    not on the disk of the machine that made it, so that any server in front of the database
    hands it out (two machines behind nginx: started on one, downloaded through the other)."""
    __tablename__ = "pos_autonomous_package_part"
    build_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ExportRun(Model):
    """Per (config, target), the latest file export (exports.py): when, what, the last error
    in words; `interval_s` is the loop's interval (NULL for a one-off export)."""
    __tablename__ = "pos_autonomous_export_run"
    config_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(255), primary_key=True)  # without its password
    interval_s: Mapped[int | None] = mapped_column(Integer)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_files: Mapped[int] = mapped_column(Integer, default=0)
    last_full: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str] = mapped_column(Text, default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)


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


class TillJournalEvent(Model):
    """The tills' chained journals of technical events (point_of_sale's journal of each till's
    instance), one row per event exactly as sealed on the till: its number, time, kind, config,
    details (canonical JSON text) and links; checked against the till's chain as received."""
    __tablename__ = "pos_autonomous_till_journal"
    till_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(32))
    config_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[str] = mapped_column(Text)
    previous_link: Mapped[str] = mapped_column(String(64))
    link: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


MODELS = [Change, SyncTable, TableState, Till, TillCashier, PackageBuild, ExportRun, TillPush,
          Acknowledgement, Alarm, TillSession, TillEvent, TillJournalEvent]
