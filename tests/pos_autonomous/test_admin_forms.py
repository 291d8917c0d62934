"""The admin's till forms through Flask's test client: a package made and downloaded from the
central admin, a till's cashiers chosen there, a till's synchroniser timings; bad fields and
callers who are not signed in change nothing."""
import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from addons.point_of_sale import Product, allowed_user_ids
from addons.pos_autonomous.central import builds
from addons.pos_autonomous.central.models import PackageBuild, PackagePart, Till
from addons.pos_autonomous.till.install import init_till
from core.addons import AddonCatalog
from core.errors import CoreError
from core.instance import Instance
from core.models import utc_now
from core.web.users import set_password
from tests.pos_autonomous.test_till_side import make_till, users
from tests.support import ADMIN_LOGIN, post_form, signed_in_client, text_of
from tests.support import testing_app as built_app

PAGE = "/web/pos_autonomous/"
TIMINGS = {"pos_autonomous.sync_interval_ms": "1500",
           "pos_autonomous.request_timeout_ms": "800",
           "pos_autonomous.retry_wait_ms": "300",
           "pos_autonomous.max_retry_wait_ms": "9000",
           "pos_autonomous.page_size": "500"}


@pytest.fixture
def admin(central):
    with central.engine.begin() as connection:
        set_password(connection, "anna", "anna-secret-1", "cashier")
        set_password(connection, "boris", "boris-secret-1", "cashier")
    app = built_app(central)
    return signed_in_client(app, central, ADMIN_LOGIN)


def count_tills(central):
    with central.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Till))


def cashiers_of(central, till_id):
    """How many users are allowed on the till's config (its cashiers)."""
    with central.engine.connect() as connection:
        config_id = connection.scalar(select(Till.config_id).where(Till.id == till_id))
        return len(allowed_user_ids(connection, config_id))


def follow(admin, build_id, ceiling=120):
    """Read the build's status as the page does until it is over; return every status seen."""
    deadline, seen = time.monotonic() + ceiling, []
    while not seen or seen[-1]["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"build {build_id} still {seen[-1]}"
        time.sleep(0.1 if seen else 0)
        answer = admin.get(PAGE + f"builds/{build_id}")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        seen.append(answer.get_json())
    return seen


def count_builds(central):
    with central.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(PackageBuild))


def test_the_central_admin_makes_a_package_a_till_starts_from(admin, central, tmp_path):
    with central.engine.begin() as connection:  # a catalogue of several pages
        connection.execute(Product.__table__.insert(), [
            {"name": f"Item {n}", "price": Decimal("1.50"), "tax_rate": Decimal("20"),
             "category": "Bulk", "barcode": f"B{n}"} for n in range(25000)])
    page = text_of(admin.get(PAGE))
    assert "Make the package (download)" in page and "anna" in page
    answer = post_form(admin, PAGE + "tills/package", page=PAGE, data={
        "config_id": "1", "name": "Front till", "server_url": "http://127.0.0.1:9",
        "cashier": ["anna"]})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("#build-1")
    assert "Making the package (build 1)" in text_of(admin.get(PAGE))
    seen = follow(admin, 1)  # made by its own process, `core autonomous build-package 1`
    done = seen[-1]
    assert done["state"] == "done" and done["ready"], done
    assert done["rows_done"] == done["rows_total"] > 25000 and done["till_id"] == 1
    assert "ready to download" in done["words"]
    assert "Download" in text_of(admin.get(PAGE))
    answer = post_form(admin, PAGE + "builds/1/download", page=PAGE)
    assert answer.status_code == 200, text_of(answer)
    assert "till-1-config-1.package" in answer.headers["Content-Disposition"]
    package = tmp_path / "downloaded.package"
    package.write_bytes(answer.get_data())
    answer.close()
    assert not builds.package_path(central, 1).exists()  # kept in the database, not here
    with central.engine.connect() as connection:  # the till's credentials: sent once
        assert not connection.execute(select(PackagePart)).first()
    again = post_form(admin, PAGE + "builds/1/download", page=PAGE)
    assert again.status_code == 303 and "downloaded (the file is gone)" in text_of(admin.get(PAGE))
    till = Instance(f"sqlite:///{tmp_path / 'till.db'}", AddonCatalog())
    row = init_till(till, package)
    assert (row.till_id, row.config_id, row.server_url) == (1, 1, "http://127.0.0.1:9")
    # anna came down as a cashier of the till, without her password (she signs in with a PIN)
    assert users(till)["anna"] == "!" and "boris" not in users(till)
    with till.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Product)) > 25000
    till.engine.dispose()
    assert "Front till" in text_of(admin.get(PAGE))


def test_the_command_line_package_says_its_progress(central, tmp_path):
    from tests.pos_autonomous.till_helpers import core
    output = core("--db", central.url, "autonomous", "package", "1", "-o",
                  str(tmp_path / "till.package"), "--server", "http://127.0.0.1:9").stdout
    assert re.search(r"copied (\d+)/\1 rows, \d+ rows/s", output), output


def test_a_second_request_finds_the_build_under_way_and_a_failure_is_said(admin, central):
    first = builds.request_build(central, 1, "http://127.0.0.1:9", launch=False)
    answer = post_form(admin, PAGE + "tills/package", page=PAGE,
                       data={"config_id": "1", "server_url": "http://127.0.0.1:9"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"#build-{first}")
    assert f"already being made (build {first})" in text_of(admin.get(PAGE))
    assert count_builds(central) == 1 and count_tills(central) == 0
    with pytest.raises(CoreError):  # what its process does; here with no address to write
        with central.engine.begin() as connection:
            connection.execute(update(PackageBuild).values(server_url=""))
        builds.run_build(central, first)
    failed = admin.get(PAGE + f"builds/{first}").get_json()
    assert failed["state"] == "failed" and "give the address tills reach" in failed["words"]
    second = builds.request_build(central, 1, "http://127.0.0.1:9", launch=False)
    assert second != first  # the failed one no longer holds the config


def test_a_build_whose_process_died_is_said_to_have_stopped(admin, central):
    build_id = builds.request_build(central, 2, "http://127.0.0.1:9", launch=False)
    with central.engine.begin() as connection:
        connection.execute(update(PackageBuild).values(
            updated_at=utc_now() - timedelta(seconds=builds.STALE_SECONDS + 1)))
    status = admin.get(PAGE + f"builds/{build_id}").get_json()
    assert status["state"] == "failed" and "no progress for" in status["words"]


def test_unknown_or_unfinished_builds_and_strangers_get_nothing(admin, central):
    for path in ("builds/999", "builds/0"):
        answer = admin.get(PAGE + path)
        assert answer.status_code == 404 and answer.get_json()["error"]["code"] == (
            "unknown_build")
    assert admin.get(PAGE + "builds/x").status_code == 404
    assert admin.get(PAGE + f"builds/{2**70}").status_code == 404
    build_id = builds.request_build(central, 1, "http://127.0.0.1:9", launch=False)
    answer = post_form(admin, PAGE + f"builds/{build_id}/download", page=PAGE)
    assert answer.status_code == 303
    assert "No package to download" in text_of(admin.get(PAGE))
    stranger = built_app(central).test_client()
    for method, path in (("get", f"builds/{build_id}"), ("post", f"builds/{build_id}/download")):
        answer = getattr(stranger, method)(PAGE + path)
        assert answer.status_code in (302, 303) and "/web/login" in answer.headers["Location"]


@pytest.mark.parametrize("fields, said", [
    ({"config_id": ""}, "choose the POS config"),
    ({"config_id": "99"}, "no POS config with id 99"),
    ({"config_id": "-1"}, "choose the POS config"),
    ({"config_id": "1" * 40}, "choose the POS config"),
    ({"config_id": "1", "server_url": "javascript:alert(1)"}, "http(s)://host"),
    ({"config_id": "1", "server_url": "http://" + "a" * 300}, "http(s)://host"),
    ({"config_id": "1", "name": "x" * 65}, "at most 64 characters"),
    ({"config_id": "1", "cashier": ["nobody"]}, "no user nobody"),
    ({"config_id": "1", "cashier": [f"u{n}" for n in range(501)]}, "at most 500 cashiers"),
])
def test_a_bad_package_field_is_said_and_no_till_is_made(admin, central, fields, said):
    data = {"server_url": "http://127.0.0.1:9", **fields}
    answer = post_form(admin, PAGE + "tills/package", page=PAGE, data=data)
    assert answer.status_code == 303
    assert said in text_of(admin.get(PAGE))
    assert count_tills(central) == 0


def test_callers_not_signed_in_or_without_the_form_token_change_nothing(admin, central):
    stranger = built_app(central).test_client()
    answer = post_form(stranger, PAGE + "tills/package", page="/web/login",
                       data={"config_id": "1", "server_url": "http://x.example"})
    assert answer.status_code in (302, 303) and "/web/login" in answer.headers["Location"]
    assert stranger.post(PAGE + "synchroniser", data=TIMINGS).status_code in (302, 303, 400)
    no_csrf = admin.post(PAGE + "tills/package", data={"config_id": "1",
                                                       "server_url": "http://x.example"})
    assert no_csrf.status_code == 400
    assert count_tills(central) == 0


def test_the_central_admin_chooses_a_tills_cashiers(admin, central, tmp_path):
    till = make_till(central, tmp_path, cashiers=["anna"])
    till.engine.dispose()
    with central.engine.connect() as connection:
        till_id = connection.scalar(select(Till.id))
    path = PAGE + f"tills/{till_id}/cashiers"
    assert post_form(admin, path, page=PAGE, data={"cashier": ["boris", "anna"]}
                     ).status_code == 303
    assert cashiers_of(central, till_id) == 2
    assert "cashiers anna, boris" in text_of(admin.get(PAGE))
    post_form(admin, path, page=PAGE, data={"cashier": ["ghost"]})
    assert "no user ghost" in text_of(admin.get(PAGE))
    assert cashiers_of(central, till_id) == 2  # unchanged
    post_form(admin, PAGE + "tills/999/cashiers", page=PAGE, data={"cashier": ["anna"]})
    assert "no till 999" in text_of(admin.get(PAGE))
    assert admin.post(path, data={"cashier": []}).status_code == 400  # no form token
    post_form(admin, path, page=PAGE, data={})
    assert cashiers_of(central, till_id) == 0
    stranger = built_app(central).test_client()
    assert stranger.post(path, data={"cashier": ["anna"]}).status_code in (302, 303, 400)
    assert cashiers_of(central, till_id) == 0


def test_a_tills_admin_saves_the_synchroniser_timings(central, tmp_path):
    with central.engine.begin() as connection:
        set_password(connection, "cashier", "cashier-pass-1", "cashier")
        set_password(connection, "mona", "manager-pass-1", "manager")
    till = make_till(central, tmp_path, cashiers=["cashier", "mona"])
    cashier = signed_in_client(built_app(till), till, "cashier")
    assert cashier.get(PAGE).status_code == 403  # a till's admin page needs its manager
    client = signed_in_client(built_app(till), till, "mona")
    page = text_of(client.get(PAGE))
    assert "Request timeout (ms)" in page and 'value="5000"' in page  # the interval's default
    assert post_form(client, PAGE + "synchroniser", page=PAGE, data=TIMINGS).status_code == 303
    assert "Synchroniser timings saved" in text_of(client.get(PAGE))
    with till.engine.connect() as connection:
        parameters = till.parameters(connection)
        assert {key: str(parameters.get(key)) for key in TIMINGS} == TIMINGS
    for key, bad in [("pos_autonomous.request_timeout_ms", "0"),
                     ("pos_autonomous.sync_interval_ms", "1e9"),
                     ("pos_autonomous.page_size", "10001"),
                     ("pos_autonomous.retry_wait_ms", "-5"),
                     ("pos_autonomous.max_retry_wait_ms", "100")]:  # shorter than the retry
        post_form(client, PAGE + "synchroniser", page=PAGE, data={**TIMINGS, key: bad})
        assert "Not saved" in text_of(client.get(PAGE))
    with till.engine.connect() as connection:
        parameters = till.parameters(connection)
        assert {key: str(parameters.get(key)) for key in TIMINGS} == TIMINGS
    till.engine.dispose()


def test_the_central_instance_has_no_synchroniser_timings(admin):
    answer = post_form(admin, PAGE + "synchroniser", page=PAGE, data=TIMINGS)
    assert answer.status_code == 303
    assert "the timings are a till's" in text_of(admin.get(PAGE))
