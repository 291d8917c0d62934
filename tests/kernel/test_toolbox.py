"""The kernel's small toolbox the addons share: insert-or-ignore, UTC moments (one type, one
text form) and request-field checks."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select

from core.db import insert_or_ignore
from core.models import Parameter
from core.times import UtcDateTime, as_utc, parse_utc, utc_iso
from core.web.errors import ApiError
from core.web.fields import MISSING, Fields


def test_insert_or_ignore_inserts_once_and_says_so(instance):
    table = Parameter.__table__
    with instance.engine.begin() as connection:
        assert insert_or_ignore(connection, table, {"key": "core.probe", "value": "1"})
        assert not insert_or_ignore(connection, table, {"key": "core.probe", "value": "2"})
        assert connection.scalar(select(table.c.value).where(table.c.key == "core.probe")) == "1"


def test_moments_are_utc_and_written_one_way():
    naive = datetime(2026, 12, 7, 9, 40)
    paris = datetime(2026, 12, 7, 10, 40, tzinfo=timezone(timedelta(hours=1)))
    assert as_utc(naive) == as_utc(paris) == datetime(2026, 12, 7, 9, 40, tzinfo=timezone.utc)
    assert utc_iso(naive) == utc_iso(paris) == "2026-12-07T09:40:00+00:00"
    assert utc_iso(None) is None and as_utc(None) is None
    assert parse_utc("2026-12-07T10:40:00+01:00") == as_utc(paris)
    assert parse_utc("2026-12-07T09:40:00Z") == as_utc(naive)
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_utc("2026-12-07T09:40:00")


def test_the_utc_type_gives_aware_moments_back_on_either_database(instance):
    table = Table("core_probe_moment", MetaData(), Column("id", Integer, primary_key=True),
                  Column("at", UtcDateTime))
    with instance.engine.begin() as connection:
        table.create(connection)
        connection.execute(table.insert().values(id=1, at=datetime(2026, 12, 7, 9, 40)))
        at = connection.scalar(select(table.c.at))
        table.drop(connection)
    assert at == datetime(2026, 12, 7, 9, 40, tzinfo=timezone.utc)
    assert at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("check, message", [
    (lambda f: f.whole(True, "serial", minimum=1), "serial must be a whole number from 1 to"),
    (lambda f: f.whole(None, "first", allow_none=False), "first must be a whole number"),
    (lambda f: f.text("x" * 9, "name", limit=8), "name must be a string of at most 8 characters"),
    (lambda f: f.text("G", "link", re.compile("[a-f]")), "link must be a string matching [a-f]"),
    (lambda f: f.moment("2026-12-07 09:40", "at"), "at must be an ISO 8601 date and time with"),
    (lambda f: f.choice("lost", "state", ("opened", "closed")), "state must be one of opened"),
    (lambda f: f.flag(1, "ok"), "ok must be true or false"),
    (lambda f: f.items({}, "entries", 3), "entries must be a list of at most 3 items"),
    (lambda f: f.mapping([], "head"), "head must be an object"),
])
def test_a_bad_field_is_a_400_naming_it(check, message):
    with pytest.raises(ApiError) as refused:
        check(Fields("invalid_probe"))
    assert (refused.value.status, refused.value.code) == (400, "invalid_probe")
    assert refused.value.message.startswith(message)


def test_good_fields_come_back_and_a_refusal_may_show_the_value():
    fields = Fields("invalid_probe", show_value=True)
    assert fields.whole(None, "after", allow_none=True) is None
    assert fields.moment("2026-12-07T10:40:00+01:00", "at") == "2026-12-07T09:40:00+00:00"
    with pytest.raises(ApiError, match=r"version must be a whole number from 0 to \d+, not -1"):
        fields.whole(-1, "version")


def refusal(check):
    with pytest.raises(ApiError) as refused:
        check()
    return refused.value.code, refused.value.message


def test_each_field_may_have_its_own_code_and_a_missing_one_is_said_missing():
    fields = Fields(show_value=True)
    assert refusal(lambda: fields.whole(MISSING, "message.data.run_ID", minimum=1)) == (
        "invalid_run_id", "message.data.run_ID is missing: it must be a whole number from 1 to "
                          "9223372036854775807")
    assert refusal(lambda: fields.text("", "data.lines[3].uid", limit=8, shortest=1)) == (
        "invalid_uid", 'data.lines[3].uid must be a string of 1 to 8 characters, not ""')
    assert refusal(lambda: fields.mapping(True, "data.lines[3]", allow_none=True)) == (
        "invalid_lines", "data.lines[3] must be an object or null, not true")
    assert refusal(lambda: fields.flag("é" * 80, "ok"))[1] \
        == 'ok must be true or false, not "' + "é" * 56 + "..."
    assert fields.mapping(MISSING, "info", allow_none=True) is None
    assert fields.text(None, "uid", limit=8, allow_none=True, shortest=1) is None


def test_a_query_strings_whole_number_is_plain_digits_in_range():
    fields = Fields("invalid_query")
    assert fields.written_whole(None, "limit", default=50) == 50
    assert fields.written_whole("", "limit", default=50) == 50
    assert fields.written_whole("0012", "limit", maximum=100) == 12
    for written in ("abc", "0", "101", "-1", "１", " 2", "9" * 5000):
        assert refusal(lambda w=written: fields.written_whole(w, "limit", maximum=100)) == (
            "invalid_query", "limit must be a whole number from 1 to 100")


def test_fields_speak_the_requests_language_and_wire_ones_english(app):
    with app.test_request_context(headers={"Accept-Language": "fr-FR,fr;q=0.9"}):
        said = Fields(show_value=True)
        assert refusal(lambda: said.whole("x", "serial", minimum=1, maximum=9)) == (
            "invalid_serial", 'serial doit être un nombre entier de 1 à 9, pas "x"')
        assert refusal(lambda: said.text(MISSING, "link", re.compile("[a-f]"), limit=8,
                                         shortest=1))[1] == (
            "link manque : ce doit être une chaîne de 1 à 8 caractères correspondant à [a-f]")
        assert refusal(lambda: Fields().mapping([], "head", allow_none=True))[1] == (
            "head doit être un objet ou null")
        wire = Fields(show_value=True, translated=False)
        assert refusal(lambda: wire.whole("x", "serial", minimum=1, maximum=9))[1] == (
            'serial must be a whole number from 1 to 9, not "x"')


def test_the_one_formatter_writes_a_z_and_the_signed_forms_exact_microseconds():
    naive, paris = datetime(2026, 12, 7, 9, 40), datetime(2026, 12, 7, 10, 40, 0, 500,
                                                           tzinfo=timezone(timedelta(hours=1)))
    assert utc_iso(naive, zulu=True) == "2026-12-07T09:40:00Z"
    assert utc_iso(paris, zulu=True) == "2026-12-07T09:40:00.000500Z"
    assert utc_iso(naive, zulu=True, exact=True) == "2026-12-07T09:40:00.000000Z"
    assert utc_iso(paris, exact=True) == "2026-12-07T09:40:00.000500+00:00"
    assert utc_iso(None, zulu=True, exact=True) is None
