"""What a ticket seals is complete: every column stored for an order, its lines and payments,
and a closing (with every addon installed, so another addon's column counts too) is either in
the canonical form or named below with the field that seals it instead; and changing any sealed
column in the database breaks the chain at that ticket (the form is recomputed from the rows)."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import MetaData, Table, inspect, select, text, update

from addons.point_of_sale import ledger_form, push_orders, verify_chain
from addons.point_of_sale.ledger_guard import drop_seal_guards
from addons.point_of_sale.sessions import close_session, open_session
from tests.support import installed_instance

EVERY_ADDON = ["point_of_sale", "pos_autonomous", "pos_check_session_state", "pos_longpolling",
               "pos_multi_session", "pos_multi_session_sync"]

# Columns the form holds by another name (why in words), per table.
SEALED_OTHERWISE = {
    "point_of_sale_order": {
        "id": "this instance's row id: the uuid is sealed",
        "session_id": "sealed as the session's name (`session`)",
        "refunded_order_id": "sealed as the refunded order's uuid (`refunded_order_uuid`)",
        "received_at": "when this instance stored it (a central's differs from the till's): "
                       "the entry's `sealed_at` is sealed",
    },
    "point_of_sale_order_line": {
        "id": "this instance's row id: the line's position in `lines` is sealed",
        "order_id": "the line is sealed inside its order's record",
        "refunded_line_id": "sealed as the refunded line's position (`refunded_line_index`)",
    },
    "point_of_sale_payment": {
        "id": "this instance's row id: the payment's position in `payments` is sealed",
        "order_id": "the payment is sealed inside its order's record",
    },
    "point_of_sale_closing": {
        "id": "this instance's row id: the uuid is sealed",
        "session_id": "sealed as the session's name and opening time",
        "totals_by_tax": "sealed as the list `totals_by_tax`",
        "totals_by_method": "sealed as the list `totals_by_method`",
        "cash_moves": "sealed as the list `cash_moves` (left out while empty)",
    },
    "point_of_sale_ledger_entry": {
        "id": "this instance's row id", "config_id": "sealed as the record's `config_id`",
        "number": "chained: the previous link", "kind": "sealed (`kind`)",
        "uuid": "sealed as the record's uuid", "previous_link": "chained",
        "link": "what is checked",
    },
}
FORM = {
    "point_of_sale_order": ledger_form.ORDER_FIELDS,
    "point_of_sale_order_line": ledger_form.LINE_FIELDS,
    "point_of_sale_payment": ledger_form.PAYMENT_FIELDS,
    "point_of_sale_closing": ledger_form.CLOSING_FIELDS,
    "point_of_sale_ledger_entry": ledger_form.SEAL_FIELDS,
}


@pytest.fixture
def every_addon(db_url):
    instance = installed_instance(db_url, EVERY_ADDON)
    yield instance
    instance.engine.dispose()


def test_every_stored_column_of_a_ticket_or_closing_is_in_its_canonical_form(every_addon):
    inspector = inspect(every_addon.engine)
    left_out = [f"{table}.{column['name']}" for table in FORM
                for column in inspector.get_columns(table)
                if column["name"] not in FORM[table]
                and column["name"] not in SEALED_OTHERWISE[table]]
    assert left_out == [], "add them to ledger_form's field tables (OPTIONAL_FIELDS if added " \
                           "after tickets were sealed without them)"


def changed(value, column, connection):
    if column == "partner_id":
        return connection.scalar(text("SELECT max(id) FROM point_of_sale_partner WHERE id != :v"),
                                 {"v": value})
    if column == "product_id":
        return connection.scalar(text("SELECT max(id) FROM point_of_sale_product WHERE id != :v"),
                                 {"v": value})
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, Decimal)):
        return value + 1
    if value is None:
        return "1" if column != "cashier" else "bob"
    return value - timedelta(days=1)  # a time


def test_changing_any_sealed_column_in_the_database_breaks_the_chain_at_its_ticket(db_url):
    instance = installed_instance(db_url, ["point_of_sale"])
    try:
        with instance.engine.begin() as connection:
            session = open_session(connection, 1)
            push_orders(connection, [{
                "uuid": "sale-1", "session_id": session, "created_at": "2026-11-22T10:15:00Z",
                "partner_id": 1, "reference": "Order 00001-001-0001",
                "lines": [{"product_id": 1, "qty": 2, "price_unit": "1.80", "discount": "10"}],
                "payments": [{"method": "cash", "amount": 10}]}])
        with instance.engine.begin() as connection:
            close_session(connection, 1, instance.plugin_manager(), counted_cash=Decimal("9"))
        tried = []
        for table, fields in FORM.items():
            for column in fields:
                if column == "cashier":  # empty until staff fills it: left out while empty
                    continue
                with instance.engine.connect() as connection:
                    transaction = connection.begin()
                    drop_seal_guards(connection)  # back with the rollback
                    stored = Table(table, MetaData(), autoload_with=connection)
                    number = 2 if table == "point_of_sale_closing" else 1
                    row = connection.execute(select(stored.c.id, stored.c[column]).order_by(
                        stored.c.id).limit(1)).one()
                    connection.execute(update(stored).where(stored.c.id == row[0]).values(
                        {column: changed(row[1], column, connection)}))
                    check = verify_chain(connection, 1)
                    transaction.rollback()
                tried.append(column)
                assert (check.ok, check.first_broken) == (False, number), (table, column, check)
        assert "label" in tried and "sealed_at" in tried and "software_version" in tried
    finally:
        instance.engine.dispose()
