"""Receipts, reports and the cash drawer on a network ESC/POS printer that is real on the wire
(tests/pos_printer/printer_emulator.py: a TCP server on loopback): what it received, decoded;
the printer off, out of paper or offline and back; never a receipt twice; the drawer's pulse
once per cash order and on a manager's Open drawer, journaled; hostile bodies."""
import json
import uuid as uuid_module

from hypothesis import HealthCheck, given, settings
from sqlalchemy import text

from addons.point_of_sale import push_orders
from tests import hostile_json as hj
from tests.pos_printer.printer_emulator import decode
from tests.support import json_error


def set_field(instance, field, value, config_id=1):
    with instance.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO core_record_setting (form, record_id, field, addon, value) "
            "VALUES ('pos.config', :id, :field, 'pos_printer', :value)"),
            {"id": config_id, "field": field, "value": value})


def sell(instance, session, payments=None):
    """Two espressos and a croissant, paid 10.00 in cash; the order's uuid."""
    with instance.engine.begin() as connection:  # euros, written the French way
        connection.execute(text("UPDATE point_of_sale_config SET currency_code = 'EUR', "
                                "locale = 'fr-FR' WHERE id = 1"))
    order = {"uuid": uuid_module.uuid4().hex, "session_id": session,
             "reference": "Order 00001-001-0001", "created_at": "2026-12-07T09:15:00Z",
             "lines": [{"product_id": 1, "qty": 2, "price_unit": "1.80"},
                       {"product_id": 16, "qty": 1, "price_unit": "1.60"}],
             "payments": payments or [{"method": "cash", "amount": "10"}]}
    with instance.engine.begin() as connection:
        [result] = push_orders(connection, [order])
    assert result["status"] == "created", result
    return order["uuid"]


def test_a_receipt_is_printed_once_with_header_lines_totals_barcode_and_cut(
        admin_client, addon_instance, shop_session, printer):
    set_field(addon_instance, "printer_address", printer.address)
    uuid = sell(addon_instance, shop_session)
    response = admin_client.post("/pos/config/1/print", json={"order_uuid": uuid})
    assert response.status_code == 200 and response.get_json()["status"] == "printed"
    received = decode(printer.received())
    print("\n".join(["--- the receipt as the printer received it ---", received.text,
                     f"barcodes: {received.barcodes}, cuts: {received.cuts}"]))
    assert received.status_queries == [1, 4]  # online? paper? before anything is sent
    lines = received.lines
    assert "Comptoir Café" in lines[0]
    assert any(line.startswith("Espresso") and line.endswith("3,96 €") for line in lines)
    assert "  2 x 1,80 €" in lines
    assert any(line.startswith("TOTAL") and line.endswith("5,65 €") for line in lines)
    assert any(line.startswith("Rendu") and line.endswith("4,35 €") for line in lines)
    assert "Total HT" in received.text and "TVA 5,5 % sur 1,60 €" in received.text
    assert "N° TVA FR 32 123456789" in lines and lines[-1] == "Merci !"  # in the till's French
    assert any(line.startswith("Ticket 1 · ") for line in lines)
    assert all(len(line) <= 42 for line in lines)
    assert received.barcodes == [(73, "{B000010010001")]  # Code 128, the reference's digits
    assert received.cuts == 1 and received.pulses == []
    # Asked again (a retry, a double tap): nothing is sent.
    again = admin_client.post("/pos/config/1/print", json={"order_uuid": uuid})
    assert again.status_code == 200 and again.get_json()["status"] == "already_printed"
    assert len(printer.jobs) == 1
    # A second copy is another job, marked as a duplicate.
    copy = admin_client.post("/pos/config/1/print", json={"order_uuid": uuid, "copy": 2})
    assert copy.get_json()["status"] == "printed"
    assert "DUPLICATA n° 1" in decode(printer.jobs[-1]).text


def test_48_columns_and_a_session_report(admin_client, addon_instance, shop_session, printer):
    set_field(addon_instance, "printer_address", printer.address)
    set_field(addon_instance, "printer_columns", "48")
    sell(addon_instance, shop_session)
    response = admin_client.post("/pos/config/1/print", json={"session_id": shop_session})
    assert response.get_json()["status"] == "printed"
    report = decode(printer.received())
    assert "SESSION EN COURS" in report.text and report.cuts == 1
    assert any(line.startswith("Espèces attendues") and line.endswith("5,65 €")
               and len(line) == 48 for line in report.lines)


def test_printer_off_then_back_prints_the_queued_receipt_exactly_once(
        admin_client, addon_instance, shop_session, printer):
    set_field(addon_instance, "printer_address", printer.address)
    printer.stop()
    uuid = sell(addon_instance, shop_session)
    queued = admin_client.post("/pos/config/1/print", json={"order_uuid": uuid})
    assert queued.status_code == 202
    body = queued.get_json()
    assert body["status"] == "queued" and body["error"]["code"] == "printer_unreachable"
    assert "is off" in body["error"]["message"]
    assert admin_client.get("/pos/config/1/print-queue").get_json()["jobs"][0]["state"] == \
        "queued"
    still_off = admin_client.post("/pos/config/1/print-queue/retry").get_json()
    assert still_off["waiting"] == 1 and still_off["results"][0]["status"] == "queued"
    printer.start()  # switched on again, same address
    back = admin_client.post("/pos/config/1/print-queue/retry").get_json()
    assert back == {"results": [{"status": "printed", "job_id": body["job_id"]}], "waiting": 0}
    assert admin_client.post("/pos/config/1/print-queue/retry").get_json() == {
        "results": [], "waiting": 0}
    assert admin_client.post("/pos/config/1/print", json={"order_uuid": uuid}).get_json()[
        "status"] == "already_printed"
    assert decode(printer.received()).cuts == 1
    [job] = admin_client.get("/pos/config/1/print-queue").get_json()["jobs"]
    assert (job["state"], job["attempts"]) == ("printed", 3)


def test_out_of_paper_and_offline_send_nothing_and_say_so(admin_client, addon_instance,
                                                          shop_session, printer):
    set_field(addon_instance, "printer_address", printer.address)
    uuid = sell(addon_instance, shop_session)
    printer.paper = False
    answer = admin_client.post("/pos/config/1/print", json={"order_uuid": uuid}).get_json()
    assert answer["error"]["code"] == "out_of_paper" and "new roll" in answer["error"]["message"]
    printer.paper, printer.online = True, False
    answer = admin_client.post("/pos/config/1/print-queue/retry").get_json()
    assert answer["results"][0]["error"]["code"] == "printer_offline"
    assert decode(printer.received()).lines == []  # only status queries reached it
    printer.online = True
    assert admin_client.post("/pos/config/1/print-queue/retry").get_json()["results"][0][
        "status"] == "printed"
    assert decode(printer.received()).cuts == 1


def test_the_drawer_opens_once_per_cash_order_and_for_a_manager_and_is_journaled(
        app, admin_client, addon_instance, shop_session, printer, token_for):
    set_field(addon_instance, "printer_address", printer.address)
    till = app.test_client()
    uuid = uuid_module.uuid4().hex
    opened = till.post("/pos/config/1/drawer", json={"reason": "cash_payment",
                                                     "order_uuid": uuid}, headers=token_for(1))
    assert opened.get_json() == {"status": "opened"}
    assert till.post("/pos/config/1/drawer", json={"reason": "cash_payment", "order_uuid": uuid},
                     headers=token_for(1)).get_json() == {"status": "already_opened"}
    json_error(till.post("/pos/config/1/drawer", json={"reason": "manager"},
                       headers=token_for(1)), 403, "manager_only")
    assert admin_client.post("/pos/config/1/drawer", json={"reason": "manager"}).get_json() == {
        "status": "opened"}
    from tests.point_of_sale.test_staff_roles import add_user
    from tests.support import signed_in_client
    add_user(addon_instance, "carla", "cashier", 1)
    json_error(signed_in_client(app, addon_instance, "carla").post(
        "/pos/config/1/drawer", json={"reason": "manager"}), 403, "manager_only")
    received = decode(printer.received())
    assert received.pulses == [(0, 100, 100), (0, 100, 100)]  # pin 2, 100 ms on and off
    assert received.lines == [] and received.cuts == 0
    printer.stop()
    message = json_error(admin_client.post("/pos/config/1/drawer", json={"reason": "manager"}),
                       409, "printer_unreachable")
    assert "does not answer" in message
    with addon_instance.engine.connect() as connection:
        events = [json.loads(d) for d in connection.execute(text(
            "SELECT details FROM point_of_sale_journal_event WHERE kind = 'drawer_open' "
            "ORDER BY number")).scalars()]
    assert [(e["reason"], e["result"], e["by"]) for e in events] == [
        ("cash_payment", "opened", ""), ("manager", "opened", "manager"),
        ("manager", "printer_unreachable", "manager")]
    assert events[0]["order_uuid"] == uuid


def test_a_cash_drawer_pulse_that_failed_is_sent_again_when_the_till_asks_again(
        app, addon_instance, shop_session, printer, token_for):
    """The order's drawer job is queued again by a failed pulse (not queued to be sent later:
    the till's next ask sends it) and counts its attempts; once opened, it is never again."""
    set_field(addon_instance, "printer_address", printer.address)
    till, uuid = app.test_client(), uuid_module.uuid4().hex
    body = {"reason": "cash_payment", "order_uuid": uuid}
    printer.online = False
    json_error(till.post("/pos/config/1/drawer", json=body, headers=token_for(1)), 409,
               "printer_offline")
    printer.online = True
    assert decode(printer.received()).pulses == []
    assert till.post("/pos/config/1/drawer", json=body, headers=token_for(1)).get_json() == {
        "status": "opened"}
    assert till.post("/pos/config/1/drawer", json=body, headers=token_for(1)).get_json() == {
        "status": "already_opened"}
    assert len(decode(printer.received()).pulses) == 1
    with addon_instance.engine.connect() as connection:
        job = connection.execute(text("SELECT state, attempts, error_code FROM pos_printer_job "
                                      "WHERE what = 'drawer'")).one()
        results = list(connection.execute(text(
            "SELECT details FROM point_of_sale_journal_event WHERE kind = 'drawer_open' "
            "ORDER BY number")).scalars())
    assert tuple(job) == ("printed", 2, "")
    assert [json.loads(d)["result"] for d in results] == ["printer_offline", "opened"]


def test_refusals_are_json_errors(app, admin_client, addon_instance, shop_session, printer,
                                  token_for):
    uuid = sell(addon_instance, shop_session)
    json_error(admin_client.post("/pos/config/1/print", json={"order_uuid": uuid}), 409,
             "printer_not_configured")
    json_error(admin_client.post("/pos/config/1/drawer", json={"reason": "manager"}), 409,
             "printer_not_configured")
    set_field(addon_instance, "printer_address", printer.address)
    for body, status, code in [
            ({}, 400, "invalid_body"),
            ({"order_uuid": uuid, "session_id": shop_session}, 400, "invalid_body"),
            ({"order_uuid": "a b"}, 400, "invalid_field"),
            ({"order_uuid": 5}, 400, "invalid_field"),
            ({"order_uuid": uuid, "copy": 0}, 400, "invalid_field"),
            ({"order_uuid": uuid, "copy": True}, 400, "invalid_field"),
            ({"order_uuid": uuid, "extra": 1}, 400, "invalid_field"),
            ({"session_id": "1"}, 400, "invalid_field"),
            ({"order_uuid": "nope"}, 404, "unknown_order"),
            ({"session_id": 999}, 404, "unknown_session"),
            ([], 400, "invalid_body")]:
        json_error(admin_client.post("/pos/config/1/print", json=body), status, code)
    for body, status, code in [
            ({}, 400, "invalid_field"), ({"reason": "party"}, 400, "invalid_field"),
            ({"reason": "cash_payment"}, 400, "invalid_field"),
            ({"reason": "manager", "order_uuid": uuid}, 400, "invalid_field")]:
        json_error(admin_client.post("/pos/config/1/drawer", json=body), status, code)
    json_error(admin_client.post("/pos/config/1/print", data="x"), 415, "unsupported_media_type")
    json_error(app.test_client().post("/pos/config/1/print", json={"order_uuid": uuid}), 401,
             "unauthorized")
    json_error(app.test_client().post("/pos/config/1/print", json={"order_uuid": uuid},
                                    headers=token_for(2)), 403, "forbidden")
    json_error(admin_client.post("/pos/config/99/drawer", json={"reason": "manager"}), 404,
             "unknown_config")
    assert printer.jobs == []


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=hj.hostile_bodies({"order_uuid": "abc", "copy": 1}))
def test_hostile_print_bodies_never_make_a_5xx(admin_client, addon_instance, body):
    response = admin_client.post("/pos/config/1/print", data=body,
                                 content_type="application/json")
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert set(response.get_json()) == {"error"}


def test_the_admin_form_refuses_a_bad_printer_address():
    from addons.pos_printer.settings import config_fields, parse_address
    assert parse_address("192.168.1.50") == ("192.168.1.50", 9100)
    assert parse_address(" printer.local:9101 ") == ("printer.local", 9101)
    address = config_fields()[0]
    for bad in ["http://x", "host:0", "host:99999", "host:ab", "a b", ":9100"]:
        try:
            address.clean(bad)
        except ValueError as error:
            assert str(error)
        else:
            raise AssertionError(f"{bad!r} was taken")
    assert address.clean("") == ""
