"""core.web.record_forms: the record of an admin form's URL, its first values, its save."""
import pytest
from flask import Flask
from sqlalchemy import Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.exceptions import NotFound

from core.web.record_forms import record_of, row_or_404, save_row


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(16))
    run_id: Mapped[int] = mapped_column(Integer, default=0)


THINGS = Thing.__table__


@pytest.fixture
def connection():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with engine.begin() as connection, Flask(__name__).test_request_context():
        yield connection


def test_a_new_record_is_inserted_with_its_insert_only_values_then_updated(connection):
    thing_id = save_row(connection, THINGS, None, {"name": "one"}, run_id=1)
    assert save_row(connection, THINGS, thing_id, {"name": "two"}) == thing_id
    assert connection.execute(select(THINGS)).all() == [(thing_id, "two", 1)]


def test_the_url_s_record_a_new_one_or_not_found(connection):
    thing_id = save_row(connection, THINGS, None, {"name": "one"})
    assert row_or_404(connection, Thing, None) is None
    assert row_or_404(connection, Thing, thing_id).name == "one"
    with pytest.raises(NotFound):
        row_or_404(connection, Thing, thing_id + 1)


def test_the_form_shows_the_row_s_values_or_a_copy_of_the_blank_ones(connection):
    blank = {"name": "", "run_id": 0}
    record_of(None, blank)["name"] = "typed"
    assert blank == {"name": "", "run_id": 0}
    thing_id = save_row(connection, THINGS, None, {"name": "one"}, run_id=3)
    assert record_of(row_or_404(connection, Thing, thing_id), blank) == {"name": "one",
                                                                          "run_id": 3}
