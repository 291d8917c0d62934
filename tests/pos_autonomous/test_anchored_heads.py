"""Heads anchored at every pass (#24 item 2): each push carries the till's head and the links of
acknowledged tickets, even with nothing to push; the central compares them with its own entries
and alarms, at that pass, the FIRST ticket that differs and whose copy changed, or a head behind
what it acknowledged. Real instances: a central and a till made from its package, the push over
the central's HTTP route."""
from sqlalchemy import text

import addons.point_of_sale as point_of_sale
from addons.point_of_sale.ledger_check import self_check
from addons.point_of_sale.ledger_form import as_sealed, canonical_form, chain_link, read_records
from addons.pos_autonomous.central.receive import open_alarms
from tests.pos_autonomous.up_helpers import batch_of, record, sell, token_of
from tests.support import tamper


def one_pass(app, till):
    """What one synchroniser pass pushes: batches until nothing waits, the probes narrowing a
    differing ticket included (as till/upload.py); return the answers."""
    answers, probe = [], None
    for _ in range(20):
        batch = batch_of(till)
        if probe:
            with till.engine.connect() as connection:
                numbers = point_of_sale.sample_numbers(*probe)
                links = point_of_sale.ledger_links(connection, 1, numbers)
            batch["links"] = [[n, links[n]] for n in sorted(links)]
        response = app.test_client().post("/pos_autonomous/push", json=batch, headers={
            "Authorization": f"Bearer {token_of(till)}"})
        assert response.status_code == 200, response.get_json()
        answer = response.get_json()
        outcome = record(till, batch, answer)
        answers.append(answer)
        probe = outcome.probe
        if not probe and not (batch["entries"] and batch["last"] < batch["head"]["number"]):
            return answers
    raise AssertionError("the pass did not end")


def alarms(central):
    with central.engine.connect() as connection:
        return [(a.kind, a.first_number, a.message) for a in open_alarms(connection)]


def rewrite_and_relink(instance, number, amount="50.00"):
    """Someone with write access changes ticket `number`'s payment and computes every link from
    there again, so that the chain holds together (the ledger's own functions)."""
    with tamper(instance.engine) as connection:
        connection.execute(text(
            "UPDATE point_of_sale_payment SET amount = :a WHERE order_id = (SELECT o.id FROM "
            "point_of_sale_order o JOIN point_of_sale_ledger_entry e ON e.uuid = o.uuid "
            "WHERE e.number = :n AND e.config_id = 1)"), {"a": amount, "n": number})
        relink_from(connection, number)


def relink_from(connection, number):
    """Every link from ticket `number` on computed again from the rows, and the head's."""
    rows = connection.execute(text(
        "SELECT number, kind, uuid, previous_link, sealed_at, software_version FROM "
        "point_of_sale_ledger_entry WHERE config_id = 1 AND number >= :n ORDER BY number"),
        {"n": number}).mappings().all()
    previous = connection.scalar(text(
        "SELECT link FROM point_of_sale_ledger_entry WHERE config_id = 1 AND number = :n"),
        {"n": number - 1}) or rows[0]["previous_link"]
    for row in rows:
        record = read_records(connection, row["kind"], [row["uuid"]])[row["uuid"]]
        entry = point_of_sale.ledger_entries(connection, 1, row["number"] - 1, 1)[0]
        link = chain_link(previous, canonical_form(row["kind"], as_sealed(
            record, entry["record"]["sealed_at"], row["software_version"])))
        connection.execute(text(
            "UPDATE point_of_sale_ledger_entry SET previous_link = :p, link = :l "
            "WHERE config_id = 1 AND number = :n"),
            {"p": previous, "l": link, "n": row["number"]})
        previous = link
    connection.execute(text("UPDATE point_of_sale_ledger_head SET link = :l "
                            "WHERE config_id = 1"), {"l": previous})


def renumber(connection, moves):
    """Give the entries numbered as the keys of `moves` the numbers its values (through
    numbers no entry holds, so the unique (config, number) holds at each statement)."""
    for old in moves:
        connection.execute(text("UPDATE point_of_sale_ledger_entry SET number = :t "
                                "WHERE config_id = 1 AND number = :n"),
                           {"t": old + 100000, "n": old})
    for old, new in moves.items():
        connection.execute(text("UPDATE point_of_sale_ledger_entry SET number = :t "
                                "WHERE config_id = 1 AND number = :n"),
                           {"t": new, "n": old + 100000})


def test_a_pass_with_nothing_to_push_still_sends_the_head(app, central, till):
    sell(till.engine, 3)
    one_pass(app, till)
    answers = one_pass(app, till)  # nothing new: one batch with the head and links
    assert len(answers) == 1 and answers[0]["acks"] == [] and answers[0]["acknowledged"] == 3
    assert alarms(central) == []


def test_an_acknowledged_ticket_rewritten_and_relinked_on_the_till_is_named_at_the_next_pass(
        app, central, till):
    sell(till.engine, 40)
    one_pass(app, till)
    rewrite_and_relink(till, 7)
    with till.engine.connect() as connection:
        assert point_of_sale.verify_chain(connection, 1).ok  # its own check sees nothing
    answers = one_pass(app, till)
    assert len(answers) > 1  # probes narrowed it down within the pass
    [(kind, number, message)] = alarms(central)
    assert (kind, number) == ("differs", 7)
    assert message == ("ticket 7 differs between till Shop and the central instance, changed "
                       "in till Shop's database: the till's copy of ticket 7 changed (its "
                       "database was edited and the chain re-linked, or replaced): this "
                       "server's copy is intact")


def test_the_last_acknowledged_tickets_deleted_on_the_till_are_named_at_the_next_pass(
        app, central, till):
    sell(till.engine, 5)
    one_pass(app, till)
    with tamper(till.engine) as connection:  # tickets 4 and 5 gone, the head moved back
        for number in (5, 4):
            connection.execute(text(
                "DELETE FROM point_of_sale_ledger_entry WHERE config_id = 1 AND number = :n"),
                {"n": number})
        link = connection.scalar(text("SELECT link FROM point_of_sale_ledger_entry "
                                      "WHERE config_id = 1 AND number = 3"))
        connection.execute(text("UPDATE point_of_sale_ledger_head SET number = 3, link = :l"),
                           {"l": link})
    one_pass(app, till)
    [(kind, number, message)] = alarms(central)
    assert (kind, number) == ("head_back", 4)
    assert message == ("till Shop's database ends at ticket 3 but the central instance "
                       "acknowledged up to 5: tickets 4 to 5 are gone from the till's database "
                       "(deleted, or restored from an older copy); the central instance keeps "
                       "them")


def test_a_ticket_rewritten_and_relinked_on_the_central_is_blamed_on_the_central(
        app, central, till):
    sell(till.engine, 6)
    one_pass(app, till)
    with central.engine.begin() as connection:
        assert self_check(connection)[1].ok  # the central's checkpoint: ticket 6
    rewrite_and_relink(central, 2)
    one_pass(app, till)
    [(kind, number, message)] = alarms(central)
    assert (kind, number) == ("differs", 2)
    assert "changed in the central's database: this server's chain was rewritten and " \
           "re-linked in its database from ticket 2" in message
    with central.engine.begin() as connection:  # and its own next check says so too
        check = self_check(connection)[1]
    assert (check.ok, check.first_broken) == (False, 6)
    assert "rewritten and the chain re-linked" in check.reason


def test_a_till_restored_from_an_older_copy_is_named_at_the_next_pass(
        app, central, till, tmp_path):
    import sqlite3
    sell(till.engine, 3)
    one_pass(app, till)
    till_file = till.url.split("///", 1)[1]
    copy = tmp_path / "copy.db"
    source, target = sqlite3.connect(till_file), sqlite3.connect(copy)
    source.backup(target)  # the shop's backup, taken after ticket 3 was acknowledged
    source.close(), target.close()
    sell(till.engine, 2)
    one_pass(app, till)
    till.engine.dispose()
    source, target = sqlite3.connect(copy), sqlite3.connect(till_file)
    source.backup(target)  # ... restored over the till's database: tickets 4 and 5 lost there
    source.close(), target.close()
    one_pass(app, till)
    [(kind, number, message)] = alarms(central)
    assert (kind, number) == ("head_back", 4)
    assert "till Shop's database ends at ticket 3 but the central instance acknowledged up " \
           "to 5: tickets 4 to 5 are gone" in message


def test_two_acknowledged_tickets_swapped_and_relinked_on_the_till_name_the_first(
        app, central, till):
    sell(till.engine, 30)
    one_pass(app, till)
    with tamper(till.engine) as connection:  # tickets 12 and 13 exchanged, the chain re-linked
        renumber(connection, {12: 13, 13: 12})
        relink_from(connection, 12)
    with till.engine.connect() as connection:
        assert point_of_sale.verify_chain(connection, 1).ok  # its own check sees nothing
    one_pass(app, till)  # within one pass
    [(kind, number, message)] = alarms(central)
    assert (kind, number) == ("differs", 12)
    assert message.startswith("ticket 12 differs between till Shop and the central instance, "
                              "changed in till Shop's database")


def test_a_ticket_inserted_and_the_chain_relinked_on_the_till_is_named_at_the_next_pass(
        app, central, till):
    sell(till.engine, 20)
    one_pass(app, till)
    sell(till.engine, 1)  # ticket 21, then moved in as ticket 5: 5..20 become 6..21
    with tamper(till.engine) as connection:
        renumber(connection, {21: 5, **{n: n + 1 for n in range(5, 21)}})
        relink_from(connection, 5)
    with till.engine.connect() as connection:
        assert point_of_sale.verify_chain(connection, 1).ok
    one_pass(app, till)
    found = {(kind, number): message for kind, number, message in alarms(central)}
    assert set(found) == {("differs", 5), ("conflict", 21)}, found  # 21: ticket 20 pushed again
    assert found[("differs", 5)].startswith(
        "ticket 5 differs between till Shop and the central instance, changed in till Shop's "
        "database")
