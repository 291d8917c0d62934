"""The database itself refuses UPDATE and DELETE of sealed rows (orders, lines, payments,
closings, ledger entries), on SQLite and PostgreSQL; the one way through is `unsealed`, which
records why and puts the triggers back."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from addons.point_of_sale import journal_events, push_orders
from addons.point_of_sale.ledger_guard import (
    SEALED_TABLES,
    missing_seal_guards,
    unsealed,
    unseals_after,
)
from addons.point_of_sale.sessions import close_session, open_session

ATTEMPTS = [
    ("UPDATE point_of_sale_order SET amount_total = 0", "UPDATE of point_of_sale_order"),
    ("DELETE FROM point_of_sale_order", "DELETE of point_of_sale_order"),
    ("UPDATE point_of_sale_order_line SET qty = 9", "UPDATE of point_of_sale_order_line"),
    ("DELETE FROM point_of_sale_order_line", "DELETE of point_of_sale_order_line"),
    ("UPDATE point_of_sale_payment SET amount = 9", "UPDATE of point_of_sale_payment"),
    ("DELETE FROM point_of_sale_payment", "DELETE of point_of_sale_payment"),
    ("UPDATE point_of_sale_closing SET counted_cash = 9", "UPDATE of point_of_sale_closing"),
    ("DELETE FROM point_of_sale_closing", "DELETE of point_of_sale_closing"),
    ("UPDATE point_of_sale_ledger_entry SET number = number + 1",
     "UPDATE of point_of_sale_ledger_entry"),
    ("DELETE FROM point_of_sale_ledger_entry", "DELETE of point_of_sale_ledger_entry"),
    ("UPDATE point_of_sale_journal_event SET kind = 'x'", "UPDATE of point_of_sale_journal_event"),
    ("DELETE FROM point_of_sale_journal_event", "DELETE of point_of_sale_journal_event"),
]


@pytest.fixture
def sealed(addon_instance):
    with addon_instance.engine.begin() as connection:
        session = open_session(connection, 1)
        push_orders(connection, [{
            "uuid": "a", "session_id": session, "created_at": "2026-11-22T10:15:00Z",
            "lines": [{"product_id": 1, "qty": 1, "price_unit": "1.80"}],
            "payments": [{"method": "cash", "amount": 5}]}])
        close_session(connection, 1, addon_instance.plugin_manager())
    return addon_instance


def test_every_update_and_delete_of_a_sealed_row_is_refused_by_the_database(sealed):
    with sealed.engine.connect() as connection:
        assert missing_seal_guards(connection) == []
    for sql, said in ATTEMPTS:
        with pytest.raises(DBAPIError) as refused, sealed.engine.begin() as connection:
            connection.execute(text(sql))
        assert said in str(refused.value) and "a correction is a new ticket" in str(refused.value)
    with sealed.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM point_of_sale_order")) == 1
        assert connection.scalar(text("SELECT amount_total FROM point_of_sale_order")) != 0


def test_the_migration_path_lets_changes_through_records_why_and_locks_again(sealed):
    with sealed.engine.begin() as connection:
        with unsealed(connection, "migration 0099: amounts in cents") as unseal_id:
            connection.execute(text("UPDATE point_of_sale_payment SET amount = 6"))
        assert missing_seal_guards(connection) == []
    with sealed.engine.connect() as connection:
        [(found, reason, _at)] = unseals_after(connection, 0)
        assert (found, reason) == (unseal_id, "migration 0099: amounts in cents")
        [event] = journal_events(connection, kinds=["sealed_rows_unlocked"])
        assert event["details"]["reason"] == "migration 0099: amounts in cents"
        assert connection.scalar(text("SELECT amount FROM point_of_sale_payment")) == 6
    with pytest.raises(DBAPIError), sealed.engine.begin() as connection:
        connection.execute(text("UPDATE point_of_sale_payment SET amount = 7"))
    with pytest.raises(ValueError), sealed.engine.begin() as connection, \
            unsealed(connection, " "):
        pass


def test_dropped_triggers_are_seen(sealed):
    with sealed.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER point_of_sale_payment_sealed_change "
                                    "ON point_of_sale_payment"))
        else:
            connection.execute(text("DROP TRIGGER point_of_sale_payment_sealed_update"))
        assert missing_seal_guards(connection) == ["point_of_sale_payment"]
        assert set(SEALED_TABLES) > {"point_of_sale_payment"}
