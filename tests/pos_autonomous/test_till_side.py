"""A till's own pages and data: its admin shows the synchroniser's state, its POS page carries
the indicator, and the cashier accounts the central admin allows come down (and go again)."""
from decimal import Decimal

from sqlalchemy import select

from addons.point_of_sale import Product
from addons.point_of_sale.staff import set_allowed_configs, set_pin
from addons.pos_autonomous import wire
from addons.pos_autonomous.central import pages, tills
from addons.pos_autonomous.central.models import Till
from addons.pos_autonomous.central.package import make_package
from addons.pos_autonomous.declarations import active_down_tables, declared_tables
from addons.pos_autonomous.till import apply
from addons.pos_autonomous.till.install import init_till
from addons.pos_autonomous.till.models import Checkpoint
from addons.pos_autonomous.till.synchroniser import request_full_import
from core.addons import AddonCatalog
from core.instance import Instance
from core.models import User
from core.web.users import set_password
from tests.pos_autonomous.till_helpers import table_digest
from tests.support import csrf_token, signed_in_client, text_of
from tests.support import testing_app as built_app


def make_till(central, tmp_path, cashiers=()):
    built_app(central)
    package = tmp_path / "till.package"
    make_package(central, 1, package, "http://127.0.0.1:9", cashiers=cashiers)
    till = Instance(f"sqlite:///{tmp_path / 'till.db'}", AddonCatalog())
    init_till(till, package)
    return till


def users(instance):
    with instance.engine.connect() as connection:
        return dict(connection.execute(select(User.login, User.password_hash)).all())


def pull_once(central, till, page_size=wire.DEFAULT_PAGE_SIZE):
    with till.engine.connect() as connection:
        positions = apply.positions(connection)
        digest = connection.exec_driver_sql(
            "SELECT cashiers_digest FROM pos_autonomous_link").scalar()
    with central.engine.begin() as connection:
        till_id = connection.scalar(select(Till.id))
        answer = pages.answer_pull(connection, active_down_tables(
            connection, declared_tables(central.plugin_manager())), positions, 1, page_size)
        answer["cashiers"] = tills.cashiers_part(connection, till_id, digest)
    with till.engine.begin() as connection:
        apply.apply_answer(connection, answer, {
            t.name: t for t in declared_tables(till.plugin_manager())})
        connection.exec_driver_sql("UPDATE pos_autonomous_link SET cashiers_digest = ?",
                                   (answer["cashiers"]["digest"],))
    return answer


def test_cashiers_come_down_with_pins_for_that_till_and_leave_when_revoked(central, tmp_path):
    """A till gets the cashiers and managers allowed on its config, each with a PIN verifier
    made for that till; never a password hash, and an admin never."""
    with central.engine.begin() as connection:
        set_password(connection, "anna", "anna-secret-1", "cashier")
        set_password(connection, "boris", "boris-secret-1", "manager")
        set_password(connection, "ada", "ada-secret-1", "admin")
        for login, pin in (("anna", "4821"), ("boris", "1357"), ("ada", "2468")):
            user_id = connection.scalar(select(User.id).where(User.login == login))
            set_allowed_configs(connection, user_id, [1])
            set_pin(connection, user_id, pin)
        boris = connection.scalar(select(User.id).where(User.login == "boris"))
        set_allowed_configs(connection, boris, [2])  # not on this till's config yet
    till = make_till(central, tmp_path)
    assert users(till)["anna"] == "!" and "boris" not in users(till) and "ada" not in users(till)
    app = built_app(till)
    assert signed_in_with(app, "anna", "4821") and not signed_in_with(app, "anna", "anna-secret-1")
    with central.engine.begin() as connection:
        anna = connection.scalar(select(User.id).where(User.login == "anna"))
        set_allowed_configs(connection, anna, [2])  # revoked from this till
        set_allowed_configs(connection, boris, [1, 2])
    answer = pull_once(central, till)
    assert [a["login"] for a in answer["cashiers"]["accounts"]] == ["boris"]
    assert "anna" not in users(till) and users(till)["boris"] == "!"
    assert not signed_in_with(app, "anna", "4821")  # gone at the next pass
    assert signed_in_with(app, "boris", "1357")
    assert "accounts" not in pull_once(central, till)["cashiers"]  # unchanged: digest only
    till.engine.dispose()


def signed_in_with(app, login, secret):
    """Whether the till's sign-in form lets `login` in with `secret` (a password or a PIN)."""
    client = app.test_client()
    token = csrf_token(client.get("/web/login").get_data(as_text=True))
    answer = client.post("/web/login", data={"login": login, "password": secret,
                                             "csrf_token": token})
    return answer.status_code == 302


def test_a_package_and_a_pull_carry_no_password_hash(central, tmp_path):
    """Nothing a till receives signs in to the central instance: no password hash of any user
    is in the package file nor in a pull's answer, and no central PBKDF2 key of a PIN."""
    with central.engine.begin() as connection:
        for login, role in (("anna", "cashier"), ("boris", "manager")):
            set_password(connection, login, f"{login}-secret-1", role)
            user_id = connection.scalar(select(User.id).where(User.login == login))
            set_allowed_configs(connection, user_id, [1])
            set_pin(connection, user_id, "4821")
        secrets = [*connection.scalars(select(User.password_hash)),
                   *connection.exec_driver_sql(
                       "SELECT pin_key FROM point_of_sale_user_pin").scalars()]
    assert len(secrets) >= 5  # the admins, anna and boris; two PIN keys
    built_app(central)
    package = tmp_path / "till.package"
    make_package(central, 1, package, "http://127.0.0.1:9")
    data = package.read_bytes()
    till = Instance(f"sqlite:///{tmp_path / 'till.db'}", AddonCatalog())
    init_till(till, package)
    with central.engine.begin() as connection:
        till_id = connection.scalar(select(Till.id))
        token = tills.register_till(connection, 1, "another")[1]
    pulled = built_app(central).test_client().post(
        "/pos_autonomous/pull", json={}, headers={"Authorization": f"Bearer {token}"})
    assert pulled.status_code == 200
    answer = pulled.get_data()
    assert [a["login"] for a in pulled.get_json()["cashiers"]["accounts"]] == ["anna", "boris"]
    for secret in secrets:
        for part in {secret, secret.split("$")[-1]}:
            assert part.encode() not in data and part.encode() not in answer
    assert users(till)["anna"] == users(till)["boris"] == "!"
    assert till_id
    till.engine.dispose()


def test_the_till_admin_and_pos_page_show_the_synchroniser_state(central, tmp_path):
    with central.engine.begin() as connection:
        set_password(connection, "cashier", "cashier-pass-1", "manager")
    till = make_till(central, tmp_path, cashiers=["cashier"])
    app = built_app(till)
    client = signed_in_client(app, till, "cashier")
    page = text_of(client.get("/web/pos_autonomous/"))
    assert "Autonomous till" in page and "http://127.0.0.1:9" in page
    assert "point_of_sale.product" in page
    state = client.get("/pos_autonomous/status").get_json()
    assert state["role"] == "till" and state["state"] == "never"
    assert set(state["tables"]) == {"point_of_sale.config", "point_of_sale.payment_method",
                                    "point_of_sale.product", "point_of_sale.partner"}
    assert "/pos_autonomous/static/autonomous.js" in text_of(client.get("/pos/ui/1"))
    assert client.get("/pos_autonomous/static/autonomous.js").status_code == 200
    till.engine.dispose()


def test_a_full_reload_over_the_rows_held_replaces_them_and_inserts_past_them(central,
                                                                               tmp_path):
    """Pages whose key range the till holds rows of replace them (upsert, gone rows deleted);
    pages past the last row it holds are inserted plainly. Either way the till ends equal to
    the server."""
    till = make_till(central, tmp_path)
    with central.engine.begin() as connection:
        first, second = connection.scalars(select(Product.id).order_by(Product.id).limit(2))
        connection.execute(Product.__table__.update().where(Product.id == first)
                           .values(name="Renamed", barcode="MOVED"))
        connection.execute(Product.__table__.delete().where(Product.id == second))
        connection.execute(Product.__table__.insert(), [
            {"name": f"New {n}", "price": Decimal("1.25"), "tax_rate": Decimal("20"),
             "category": "New", "barcode": f"NEW{n}"} for n in range(7)])
    request_full_import(till)
    while pull_once(central, till, page_size=3)["more"]:
        pass
    assert table_digest(till.engine, Product.__table__) == \
        table_digest(central.engine, Product.__table__)
    with till.engine.connect() as connection:
        assert connection.scalar(select(Checkpoint.mode).where(
            Checkpoint.table_name == "point_of_sale.product")) == "incremental"
    till.engine.dispose()
