"""The bus: every message a poller may ask for, kept for a retention period."""
from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model
from core.models import utc_now


class BusMessage(Model):
    __tablename__ = "pos_longpolling_message"
    # Ids grow in commit order (see bus.BusTransaction), so `id > last` never skips a message.
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)  # JSON
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now,
                                                 index=True)

    __table_args__ = (Index("ix_pos_longpolling_message_channel_id", "channel", "id"),)


MODELS = [BusMessage]
