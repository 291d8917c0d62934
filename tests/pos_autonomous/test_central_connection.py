"""*Test connection* to the central server (`core autonomous test-connection --central`, the
till's admin): against a real central server, running and stopped, with the till revoked or a
wrong token, a till clock set off by an offset, and versions that differ; the central's
`POST /pos_autonomous/hello` refuses what is not a till's well-formed request with a 4xx JSON
error."""
import time

import pytest
from sqlalchemy import update

from addons.pos_autonomous import wire
from addons.pos_autonomous.till import connection_test
from addons.pos_autonomous.till.models import Link
from core.addons import AddonCatalog
from core.errors import CoreError
from core.instance import Instance
from core.models import AddonState
from tests.pos_autonomous.till_helpers import core
from tests.support import testing_app as built_app

ALL_PASS = ["OK     Address:", "OK     Credentials:", "OK     Clock:", "OK     Versions:"]


def checks_by_name(checks):
    return {check.name: check for check in checks}


def token_of(till_url):
    till = Instance(till_url, AddonCatalog())
    with till.engine.connect() as connection:
        link = connection.execute(Link.__table__.select()).first()
    till.engine.dispose()
    return f"{link.till_id}.{link.secret}"


def test_the_command_says_each_check_and_fails_when_the_central_is_stopped(
        make_till, central_server):
    till_url = make_till(1)
    result = core("--db", till_url, "autonomous", "test-connection", "--central")
    lines = result.stdout.splitlines()
    assert [line[:len(prefix)] for line, prefix in zip(lines, ALL_PASS)] == ALL_PASS
    assert f"the central server answers at {central_server.url}" in lines[0]
    assert "this is till 1 of POS config 1" in lines[1]
    assert "agrees with the central's" in lines[2]
    assert "the same software on both" in lines[3] and "pos_autonomous 1.0.0" in lines[3]

    central_server.kill()
    stopped = core("--db", till_url, "autonomous", "test-connection", "--central", check=False)
    assert stopped.returncode == 1
    lines = stopped.stdout.splitlines()
    assert lines[0].startswith("FAILED Address: cannot reach the central server at "
                                f"{central_server.url}")
    assert "that the central server is running" in lines[0]
    assert all(line.startswith("--") and "not tested" in line for line in lines[1:])
    central_server.start()  # back: the test passes again
    assert core("--db", till_url, "autonomous", "test-connection", "--central").returncode == 0


def test_a_revoked_till_or_a_wrong_token_is_told_its_credentials_are_refused(
        central, make_till, central_server):
    till_url = make_till(1)
    till = Instance(till_url, AddonCatalog())
    with till.engine.begin() as connection:
        connection.execute(update(Link).values(secret="not-the-secret"))
    wrong = core("--db", till_url, "autonomous", "test-connection", "--central", check=False)
    assert wrong.returncode == 1
    lines = wrong.stdout.splitlines()
    assert lines[0].startswith("OK     Address:")
    assert lines[1].startswith("FAILED Credentials: the central server refused this till's "
                                "credentials") and "Ask for a new package" in lines[1]
    assert "not tested" in lines[2] and "not tested" in lines[3]
    till.engine.dispose()

    revoked_url = make_till(2)
    core("--db", central.url, "autonomous", "revoke", "2")
    checks = checks_by_name(connection_test.test_central(Instance(revoked_url, AddonCatalog())))
    assert checks["address"].ok and checks["credentials"].ok is False
    assert "revoked" in checks["credentials"].words


def test_a_till_clock_set_off_is_said_with_by_how_much(make_till):
    till = Instance(make_till(1), AddonCatalog())
    for offset, ok, said in [
            (0, True, "agrees with the central's"),
            (45, True, "agrees with the central's"),  # within the tolerance
            (600, False, "this till's clock is 10 min 0 s ahead of the central's"),
            (-7500, False, "this till's clock is 2 h 5 min behind the central's")]:
        checks = checks_by_name(connection_test.test_central(
            till, wall_clock=lambda offset=offset: time.time() + offset))
        assert checks["address"].ok and checks["credentials"].ok and checks["versions"].ok
        assert checks["clock"].ok is ok and said in checks["clock"].words, (offset, checks)
    till.engine.dispose()


def test_versions_that_differ_are_said_and_another_protocol_fails(make_till, monkeypatch):
    till = Instance(make_till(1), AddonCatalog())
    with till.engine.begin() as connection:  # the till's point_of_sale is an older one
        connection.execute(update(AddonState).where(AddonState.name == "point_of_sale")
                           .values(version="0.9.0"))
    versions = checks_by_name(connection_test.test_central(till))["versions"]
    assert versions.ok and "different versions" in versions.words
    assert "point_of_sale 1.1.0 on the central, 0.9.0 here" in versions.words
    monkeypatch.setattr(connection_test, "PROTOCOL", wire.PROTOCOL + 1)
    versions = checks_by_name(connection_test.test_central(till))["versions"]
    assert versions.ok is False
    assert f"speaks synchronisation protocol {wire.PROTOCOL}, this till " \
           f"{wire.PROTOCOL + 1}" in versions.words
    till.engine.dispose()


def test_a_server_that_is_no_central_is_said(make_till, central_server):
    till = Instance(make_till(1), AddonCatalog())
    with till.engine.begin() as connection:  # a Comptoir server, not at the central's path
        connection.execute(update(Link).values(server_url=central_server.url + "/elsewhere"))
    checks = checks_by_name(connection_test.test_central(till))
    assert checks["address"].ok and checks["versions"].ok is False
    assert "does not know this test" in checks["versions"].words
    till.engine.dispose()


def test_the_central_instance_itself_has_nothing_to_test(central):
    with pytest.raises(CoreError, match="not an autonomous till"):
        connection_test.test_central(central)
    result = core("--db", central.url, "autonomous", "test-connection", "--central",
                  check=False)
    assert result.returncode == 1 and "not an autonomous till" in result.stderr
    both = core("--db", central.url, "autonomous", "test-connection", "/tmp", "--central",
                check=False)
    assert both.returncode != 0 and "say FOLDER|FTP-URL" in both.stderr


def test_hello_refuses_hostile_requests_with_a_json_error(central, make_till):
    token = {"Authorization": f"Bearer {token_of(make_till(1))}"}
    client = built_app(central).test_client()
    for headers, body, status, code in [
            ({}, "{}", 401, "unauthorized"),
            ({"Authorization": "Bearer 1.wrong"}, "{}", 401, "invalid_token"),
            ({"Authorization": "Bearer " + "x" * 3000}, "{}", 401, "invalid_token"),
            ({"Authorization": "Basic dGlsbDpzZWNyZXQ="}, "{}", 401, "unauthorized"),
            (token, "[1, 2]", 400, "invalid_body"),
            (token, "{", 400, "malformed_json"),
            (token, '{"a": NaN}', 400, None),
            (token, '{"a": 1e999}', 400, None)]:
        answer = client.post(wire.HELLO, data=body,
                             headers={**headers, "Content-Type": "application/json"})
        assert answer.status_code == status, (headers, body, answer.get_data(as_text=True))
        error = answer.get_json()["error"]
        assert error["message"] and (code is None or error["code"] == code)


def test_hello_answers_a_till_with_its_identity_time_and_versions(central, make_till):
    till_url = make_till(1)
    client = built_app(central).test_client()
    answer = client.post(wire.HELLO, json={},
                         headers={"Authorization": f"Bearer {token_of(till_url)}"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["till_id"], body["config_id"], body["protocol"]) == (1, 1, wire.PROTOCOL)
    assert body["server_time"].endswith("+00:00")
    assert body["addons"]["pos_autonomous"] == "1.0.0"
    text = client.post(wire.HELLO, data="{}", headers={
        "Authorization": f"Bearer {token_of(till_url)}", "Content-Type": "text/plain"})
    assert text.status_code == 415


def test_a_shop_tests_the_credentials_of_each_of_its_configs(central, make_till):
    from sqlalchemy import select

    from addons.pos_autonomous.central.models import Till
    shop = Instance(make_till(1, "2"), AddonCatalog())  # one instance serving configs 1 and 2
    checks = checks_by_name(connection_test.test_central(shop))
    assert all(check.ok for check in checks.values())
    assert "this is till 1 of POS config 1, and the shop's POS config(s) 2 too" in checks[
        "credentials"].words
    with central.engine.connect() as connection:
        bar_till = connection.scalar(select(Till.id).where(Till.config_id == 2))
    core("--db", central.url, "autonomous", "revoke", str(bar_till))
    credentials = checks_by_name(connection_test.test_central(shop))["credentials"]
    assert credentials.ok is False
    assert "refused the credentials of POS config(s) 2" in credentials.words
    shop.engine.dispose()
