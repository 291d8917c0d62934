"""pos_printer's records: the print queue."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model
from core.models import utc_now

QUEUED, PRINTING, PRINTED = "queued", "printing", "printed"


class PrintJob(Model):
    """One thing to print (a receipt's copy, a session report, a drawer's pulse) for a config,
    laid out once when it was asked for. `key` says what it is (`order:<uuid>:<copy>`,
    `report:<session>:<ticket or orders so far>:<copy>`, `drawer:<order uuid>`): asking again
    for the same key prints nothing new.

    state: `queued` (waiting, or the last try failed: `error_code`, `error`), `printing` (sent
    at this moment; one left there by a crash is not sent again, since it may have printed),
    `printed`."""
    __tablename__ = "pos_printer_job"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    config_id: Mapped[int] = mapped_column(
        ForeignKey("point_of_sale_config.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    what: Mapped[str] = mapped_column(String(16))  # receipt | report | drawer
    data: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str] = mapped_column(String(32), default="")
    error: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    printed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


MODELS = [PrintJob]
