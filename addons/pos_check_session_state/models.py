"""Orders refused because their session was no longer opened, kept whole until a manager
attaches them to the config's open session (one row per order uuid)."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

import addons.point_of_sale  # noqa: F401  (defines the tables referred to)
from core.db import Model
from core.models import utc_now


class RejectedOrder(Model):
    __tablename__ = "pos_check_session_state_rejected_order"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)  # the till's order uuid
    session_id: Mapped[int] = mapped_column(ForeignKey("point_of_sale_session.id"), index=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("point_of_sale_config.id"), index=True)
    # The order as pushed (rebuilt from the parsed order; decimals as strings): push_orders
    # parses it back.
    payload: Mapped[str] = mapped_column(Text)
    rejected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    attached_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("point_of_sale_order.id"))
    attached_to_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("point_of_sale_session.id"))
    attached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attached_by: Mapped[str | None] = mapped_column(String(64))


MODELS = [RejectedOrder]
