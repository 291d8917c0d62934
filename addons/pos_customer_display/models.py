"""What each config's customer display shows now (a display opened later starts from it)."""
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model
from core.models import utc_now


class DisplayState(Model):
    __tablename__ = "pos_customer_display_state"
    config_id: Mapped[int] = mapped_column(
        ForeignKey("point_of_sale_config.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)  # grows with every change shown
    message: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


MODELS = [DisplayState]
