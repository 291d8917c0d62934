"""What an admin page that edits one record does around its own fields, the same for every
addon: find the record of the URL (404 when it does not exist, None for a new one), fill the
form the first time, and insert or update it.

    row = row_or_404(connection, Product, product_id)
    record = record_of(row, {"name": "", "active": True})   # GET: what the form shows
    product_id = save_row(connection, Product.__table__, product_id, values)
"""
from flask import abort
from sqlalchemy import select


def row_or_404(connection, model, row_id):
    """The row of `model` whose `id` is `row_id`; None when `row_id` is None (a new record);
    a 404 when there is no such row."""
    if row_id is None:
        return None
    row = connection.execute(select(model).where(model.id == row_id)).first()
    if row is None:
        abort(404)
    return row


def record_of(row, blank):
    """What the form shows first: `row`'s value of each field of `blank`, or `blank` itself
    (a copy) for a new record."""
    if row is None:
        return dict(blank)
    return {name: getattr(row, name) for name in blank}


def save_row(connection, table, row_id, values, **on_insert):
    """Insert `values` (with `on_insert`) as a new row when `row_id` is None, else update
    that row with `values`; return the row's id."""
    if row_id is None:
        return connection.execute(
            table.insert().values(**values, **on_insert)).inserted_primary_key[0]
    connection.execute(table.update().where(table.c.id == row_id).values(**values))
    return row_id
