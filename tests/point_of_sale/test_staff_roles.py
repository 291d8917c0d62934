"""Cashiers, managers and admins: `core user add --role --pos`, `core user list`, the Users page,
users made before roles are admins, and a cashier reaching the tills they are allowed on only."""
import re
import subprocess

import pytest
from sqlalchemy import text

from core.web.users import set_password
from tests.support import (
    CORE_COMMAND,
    csrf_token,
    post_form,
    scalar,
    signed_in_client,
    text_of,
)


def run_core(instance, *args, password="secret-pass-1"):
    return subprocess.run([CORE_COMMAND, "--db", instance.url, *args], capture_output=True,
                          text=True, env={"CORE_ADMIN_PASSWORD": password, "PATH": "/usr/bin",
                                          "CORE_ADDONS_PATH": "", "CORE_LOAD_ENTRY_POINTS": "0"},
                          timeout=60)


def add_user(instance, login, role, *configs):
    from addons.point_of_sale.staff import set_allowed_configs
    with instance.engine.begin() as connection:
        set_password(connection, login, "secret-pass-1", role)
        user_id = connection.scalar(text("SELECT id FROM core_user WHERE login = :l"),
                                    {"l": login})
        set_allowed_configs(connection, user_id, configs)
    return user_id


def test_core_user_add_with_a_role_and_tills_then_list(addon_instance):
    done = run_core(addon_instance, "user", "add", "carla", "--role", "cashier", "--pos", "1",
                    "--pos", "2")
    assert done.returncode == 0, done.stderr
    assert "Created carla (cashier)" in done.stdout
    assert scalar(addon_instance, "SELECT role FROM core_user WHERE login = 'carla'") == "cashier"
    listed = run_core(addon_instance, "user", "list")
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^carla  cashier  pos: 1, 2$", listed.stdout, re.M), listed.stdout
    assert re.search(r"^manager  admin  pos: -$", listed.stdout, re.M), listed.stdout

    refused = run_core(addon_instance, "user", "add", "dan", "--role", "cashier", "--pos", "99")
    assert refused.returncode == 1
    assert "there is no POS config 99" in refused.stderr
    assert scalar(addon_instance, "SELECT count(*) FROM core_user WHERE login = 'dan'") == 0


def test_core_user_add_without_a_role_keeps_the_users_role(addon_instance):
    run_core(addon_instance, "user", "add", "carla", "--role", "cashier", "--pos", "1")
    done = run_core(addon_instance, "user", "add", "carla", password="another-pass-2")
    assert done.returncode == 0, done.stderr
    assert scalar(addon_instance, "SELECT role FROM core_user WHERE login = 'carla'") == "cashier"
    assert scalar(addon_instance, "SELECT count(*) FROM point_of_sale_config_user") == 1


def test_users_made_before_roles_become_admins(db_url):
    """The kernel's migration gives the users that were there the admin role."""
    from alembic import command

    from core.instance import Instance
    from core.schema import alembic_config
    instance = Instance(db_url)
    instance.init()
    with instance.engine.begin() as connection:
        command.downgrade(alembic_config(instance.catalog, connection), "c0de00000002")
        connection.execute(text("INSERT INTO core_user (login, password_hash) "
                                "VALUES ('old', 'x')"))
    instance.init()
    assert scalar(instance, "SELECT role FROM core_user WHERE login = 'old'") == "admin"
    instance.engine.dispose()


def test_hook_register_user_scopes(app, addon_instance):
    """point_of_sale declares the POS configs as a scope: the Users page offers them and saves
    them with the user, in one transaction with the role."""
    admin = signed_in_client(app, addon_instance)
    page = text_of(admin.get("/web/users/new"))
    assert 'name="pos" value="1"' in page and "Shop (1)" in page
    response = post_form(admin, "/web/users/new", {
        "login": "bea", "role": "manager", "password": "secret-pass-1", "pos": ["2"]})
    assert response.status_code == 302
    user_id = scalar(addon_instance, "SELECT id FROM core_user WHERE login = 'bea'")
    assert scalar(addon_instance, "SELECT role FROM core_user WHERE id = :i", i=user_id) \
        == "manager"
    assert scalar(addon_instance, "SELECT config_id FROM point_of_sale_config_user "
                                  "WHERE user_id = :i", i=user_id) == 2
    listing = text_of(admin.get("/web/users"))
    assert re.search(r"bea</a></td>\s*<td>manager</td>\s*<td>2</td>", listing), listing

    refused = post_form(admin, f"/web/users/{user_id}", {"role": "cashier", "pos": ["77"]})
    assert refused.status_code == 400
    assert "there is no POS config 77" in text_of(refused)
    assert scalar(addon_instance, "SELECT role FROM core_user WHERE id = :i", i=user_id) \
        == "manager"  # nothing of a refused form is stored


def test_users_page_refuses_a_second_user_of_one_login(app, addon_instance):
    admin = signed_in_client(app, addon_instance)
    response = post_form(admin, "/web/users/new", {
        "login": "manager", "role": "cashier", "password": "secret-pass-1"})
    assert response.status_code == 400
    assert "there is already a user 'manager'" in text_of(response)
    assert scalar(addon_instance, "SELECT role FROM core_user WHERE login = 'manager'") == "admin"


@pytest.mark.parametrize("role", ["cashier", "manager"])
def test_users_page_is_for_admins_only(app, addon_instance, role):
    add_user(addon_instance, "someone", role, 1)
    client = signed_in_client(app, addon_instance, "someone")
    response = client.get("/web/users")
    assert response.status_code == 403
    assert "This page needs a admin" in " ".join(re.sub("<[^>]+>", "", text_of(response)).split())
    token = csrf_token(client.get("/web/login").get_data(as_text=True))
    response = client.post("/web/users/new", data={
        "login": "x", "role": "admin", "password": "secret-pass-1", "csrf_token": token})
    assert response.status_code == 403
    assert scalar(addon_instance, "SELECT count(*) FROM core_user WHERE login = 'x'") == 0


def test_a_cashier_opens_the_till_they_are_allowed_on_only(app, addon_instance):
    add_user(addon_instance, "carla", "cashier", 1)
    cashier = signed_in_client(app, addon_instance, "carla")
    assert cashier.get("/pos/ui/1").status_code == 200
    refused = cashier.get("/pos/ui/2")
    assert refused.status_code == 403
    assert "carla is not allowed on till 2" in text_of(refused)
    assert cashier.get("/pos/config/1/data").status_code == 200
    assert cashier.get("/pos/config/2/data").json["error"]["code"] == "not_your_till"
    # a cashier's admin start is the start page (their tills), and the admin's menu is not theirs
    assert cashier.get("/web/").headers["Location"].endswith("/")
    assert cashier.get("/web/pos/").status_code == 403


def test_a_cashier_cannot_open_or_close_a_session_a_manager_of_the_till_can(app, addon_instance):
    add_user(addon_instance, "carla", "cashier", 1)
    add_user(addon_instance, "mona", "manager", 1)
    cashier = signed_in_client(app, addon_instance, "carla")
    response = cashier.post("/pos/config/1/open-session")
    assert response.status_code == 403 and response.json["error"]["code"] == "manager_only"
    manager = signed_in_client(app, addon_instance, "mona")
    assert manager.post("/pos/config/2/open-session").json["error"]["code"] == "not_your_till"
    opened = manager.post("/pos/config/1/open-session")
    assert opened.status_code == 200
    session_id = opened.json["session_id"]
    response = cashier.post(f"/pos/session/{session_id}/close", json={"counted_cash": "0"})
    assert response.status_code == 403
    assert scalar(addon_instance, "SELECT state FROM point_of_sale_session WHERE id = :i",
                  i=session_id) == "opened"
    closed = manager.post(f"/pos/session/{session_id}/close", json={"counted_cash": "0"})
    assert closed.status_code == 200, closed.json


def test_a_manager_starts_on_the_pos_admin_and_cannot_open_apps(app, addon_instance):
    add_user(addon_instance, "mona", "manager", 1)
    manager = signed_in_client(app, addon_instance, "mona")
    assert manager.get("/web/").headers["Location"].endswith("/web/pos/")
    page = manager.get("/web/pos/configs").get_data(as_text=True)
    assert ">Point of Sale</a>" in page and ">Apps</a>" not in page and ">Users</a>" not in page
    assert manager.get("/web/apps").status_code == 403
