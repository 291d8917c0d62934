"""pos_autonomous's tables. The central instance uses the first five, a till the last three;
both have all of them (one addon, one schema)."""
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model
from core.models import utc_now

DOWN, UP = "down", "up"
INCREMENTAL, FULL = "incremental", "full"
KINDS = (INCREMENTAL, FULL)


# -- central ---------------------------------------------------------------------------------

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
    the SHA-256 of its secret is kept)."""
    __tablename__ = "pos_autonomous_till"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    config_id: Mapped[int] = mapped_column(Integer, index=True)
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
    file_path: Mapped[str] = mapped_column(Text, default="")  # until downloaded
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    downloaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


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


# -- till ------------------------------------------------------------------------------------

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


MODELS = [Change, SyncTable, TableState, Till, TillCashier, PackageBuild, ExportRun, Link,
          Checkpoint, TillCashierLogin]

from .models_up import UP_MODELS  # noqa: E402 - the up direction's tables (#14)

MODELS += UP_MODELS
