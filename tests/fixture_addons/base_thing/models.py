from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model


class Item(Model):
    __tablename__ = "base_thing_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(64))
