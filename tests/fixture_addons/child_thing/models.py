from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model


class Note(Model):
    __tablename__ = "child_thing_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("base_thing_item.id"))
    text: Mapped[str] = mapped_column(String(200))
