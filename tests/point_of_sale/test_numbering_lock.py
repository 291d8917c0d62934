"""The numbering lock on its own: sealing moves the config's head row on first (`UPDATE ... SET
number = number + n`, ledger_seal.take_numbers), so two transactions that number at once queue
on that row and never take the same number. On SQLite the database's write lock (BEGIN
IMMEDIATE, one writer per process) serialises every write transaction anyway and would hide a
numbering that reads the head before locking it; so these transactions are opened deferred
(`connection.begin()` on a plain connection): only the head-row lock keeps them apart. Each
transaction pauses right after its first statement on the head row until the others reached
theirs (or half a second passed: a transaction queued on the lock never reaches it), so a
numbering that reads before it locks is caught every time, not by luck."""
import threading

from sqlalchemy import event

from addons.point_of_sale.ledger_seal import take_numbers

TRANSACTIONS = 4
PAUSE = 0.5  # seconds a transaction waits for the others at its first head statement


def test_transactions_numbering_at_once_queue_on_the_head_row(addon_instance):
    engine = addon_instance.engine
    with engine.begin() as connection:
        take_numbers(connection, 1, 0)  # the config's head row exists (number 0)
    meeting = threading.Barrier(TRANSACTIONS)
    local = threading.local()

    def pause_after_first_head_statement(conn, cursor, statement, *_):
        if "point_of_sale_ledger_head" in statement and getattr(local, "armed", False):
            local.armed = False
            try:
                meeting.wait(PAUSE)
            except threading.BrokenBarrierError:
                pass  # the others queue on the lock this transaction holds: go on alone

    event.listen(engine, "after_cursor_execute", pause_after_first_head_statement)
    numbers, failures = [], []

    def number_one():
        try:
            with engine.connect() as connection, connection.begin():  # deferred on SQLite
                local.armed = True
                numbers.append(take_numbers(connection, 1, 1))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(repr(error))

    try:
        threads = [threading.Thread(target=number_one) for _ in range(TRANSACTIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        event.remove(engine, "after_cursor_execute", pause_after_first_head_statement)
    assert failures == []
    assert sorted(numbers) == list(range(1, TRANSACTIONS + 1))
