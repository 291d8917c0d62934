"""The kernel's own tables: install states, system parameters, admin users, record settings."""
from datetime import datetime, timezone

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model

INSTALLED = "installed"
UNINSTALLED = "uninstalled"


def utc_now():
    return datetime.now(timezone.utc)


class AddonState(Model):
    """One row per addon ever installed here: the database, not the disk, says what is installed."""
    __tablename__ = "core_addon"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Parameter(Model):
    """A system parameter's stored value (the declared default applies when there is no row)."""
    __tablename__ = "core_parameter"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class User(Model):
    """Someone who may sign in: a `cashier`, a `manager` or an `admin` (core.web.users.ROLES)."""
    __tablename__ = "core_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="admin", server_default="admin")


class UserSession(Model):
    """A signed-in admin session of this instance. The cookie carries a random token; only its
    SHA-256 is stored, so the table leaks no usable session. Signing out deletes the row: a
    copied cookie stops working, and a cookie of another instance never has a row here."""
    __tablename__ = "core_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class RecordSetting(Model):
    """The value of a config field that an addon adds to another addon's record form."""
    __tablename__ = "core_record_setting"
    form: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    addon: Mapped[str] = mapped_column(String(64), index=True)
    value: Mapped[str] = mapped_column(Text)


KERNEL_MODELS = [AddonState, Parameter, User, UserSession, RecordSetting]
