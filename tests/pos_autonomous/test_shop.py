"""A shop: one autonomous instance serving several POS configs (#29). The central instance (demo
data: Shop and Bar in the multi-session "Shop floor", Boutique alone; on PostgreSQL in the
PostgreSQL run) makes one package of the three: every config, their payment methods, the
multi-session and its memberships come down; each config seals its own chain on the shop and
goes up as its own till, exactly once; the central refuses to sell any of them (one writer);
a multi-session spanning configs inside and outside a package is refused with its reason."""
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

import addons.point_of_sale as point_of_sale
from addons.pos_autonomous import role
from addons.pos_autonomous.central.models import Till
from addons.pos_autonomous.central.package import make_package
from addons.pos_autonomous.central.receive import open_alarms
from addons.pos_autonomous.till.install import init_till
from addons.pos_autonomous.till.status import till_status
from addons.pos_autonomous.till.synchroniser import Synchroniser
from addons.pos_multi_session.models import MultiSession, MultiSessionMember
from core.addons import AddonCatalog
from core.cli import cli
from core.errors import CoreError
from core.instance import Instance
from tests.pos_autonomous.till_helpers import FAST_SYNC, set_parameters, till_state
from tests.pos_autonomous.up_helpers import central_entries, central_order_count, sell
from tests.support import BUILT_IN_ADDONS, installed_instance, tamper

pytestmark = pytest.mark.timeout(300)

SHOP_ADDONS = ["point_of_sale", "pos_autonomous", "pos_multi_session"]
SHOP_CONFIGS = [1, 2, 3]  # Shop and Bar share orders ("Shop floor"); Boutique alone


@pytest.fixture
def central(db_url):
    """The central instance with multi-sessions (overrides conftest's, which central_server
    serves)."""
    instance = installed_instance(db_url, SHOP_ADDONS)
    yield instance
    instance.engine.dispose()


def make_shop(central, tmp_path, server_url, configs=SHOP_CONFIGS):
    package = tmp_path / "shop.package"
    make_package(central, configs, package, server_url)
    shop = Instance(f"sqlite:///{tmp_path / 'shop.db'}", AddonCatalog())
    init_till(shop, package)
    set_parameters(shop.url, FAST_SYNC)
    return shop


def sync_once(shop):
    synchroniser = Synchroniser(shop)
    try:
        synchroniser.run(once=True)
    finally:
        synchroniser.close()


def assert_the_shop_holds_its_configs(shop, central):
    """The three configs, their payment methods, the multi-session and its two memberships."""
    with shop.engine.connect() as connection:
        assert [p.config_id for p in role.pushers(connection)] == SHOP_CONFIGS
        assert role.config_ids(connection) == SHOP_CONFIGS
        configs = connection.scalars(select(point_of_sale.PosConfig.id)
                                     .order_by(point_of_sale.PosConfig.id)).all()
        methods = set(connection.scalars(select(point_of_sale.PaymentMethod.config_id)))
        floor = connection.execute(select(MultiSession)).all()
        members = connection.execute(select(MultiSessionMember.config_id,
                                            MultiSessionMember.multi_session_id)
                                     .order_by(MultiSessionMember.config_id)).all()
    with central.engine.connect() as connection:
        central_methods = set(connection.scalars(select(point_of_sale.PaymentMethod.config_id)))
    assert configs == SHOP_CONFIGS and methods == central_methods & set(SHOP_CONFIGS)
    assert [(m.name, m.sync_server) for m in floor] == [("Shop floor", "")]
    assert members == [(1, floor[0].id), (2, floor[0].id)]


def the_shops_tills(central):
    """The central's tills: one per config, one shop headed by the first, each its config's
    writer; the central refuses to open a session of them."""
    with central.engine.connect() as connection:
        tills = connection.execute(select(Till).order_by(Till.id)).all()
        writers = [point_of_sale.config_writer_key(connection, c) for c in SHOP_CONFIGS]
    assert [t.config_id for t in tills] == SHOP_CONFIGS
    assert {t.shop_id for t in tills} == {tills[0].id}
    assert writers == [str(t.id) for t in tills]
    with central.engine.begin() as connection, pytest.raises(point_of_sale.SessionError):
        point_of_sale.open_session(connection, 2)  # one writer: the shop
    return tills


def assert_each_config_arrived_once(central, shop, sold):
    for config, uuids in sold.items():
        assert [u for _, u in central_entries(central, config)] == uuids
    assert central_order_count(central) == sum(map(len, sold.values()))
    state = till_state(shop.url)
    assert [(c["config_id"], c["up"]["entries"], c["up"]["last_acknowledged"])
            for c in state["configs"]] == [(c, 0, len(sold[c])) for c in SHOP_CONFIGS]
    with central.engine.connect() as connection:
        assert all(point_of_sale.verify_chain(connection, c).ok for c in SHOP_CONFIGS)
    with shop.engine.connect() as connection:  # a shop's POS page asks for its config's
        assert [till_status(connection, c)["up"]["last_acknowledged"]
                for c in (2, 3, None)] == [len(sold[2]), len(sold[3]), len(sold[1])]


def test_a_shop_holds_its_configs_and_multi_session_and_pushes_each_chain_once(
        central, central_server, tmp_path):
    shop = make_shop(central, tmp_path, central_server.url)
    try:
        assert_the_shop_holds_its_configs(shop, central)
        tills = the_shops_tills(central)
        sold = {config: sell(shop.engine, count, config_id=config)
                for config, count in zip(SHOP_CONFIGS, (3, 2, 4))}
        sync_once(shop)
        sync_once(shop)  # nothing goes up twice
        assert_each_config_arrived_once(central, shop, sold)
        # Alarms are per config: a ticket of Bar edited in the shop's database is alarmed as
        # Bar's, by Bar's till.
        with tamper(shop.engine) as connection:
            connection.execute(text("UPDATE point_of_sale_payment SET amount = 50 WHERE "
                                    "order_id = (SELECT id FROM point_of_sale_order "
                                    "WHERE uuid = :uuid)"), {"uuid": sold[2][1]})
        sync_once(shop)  # Bar's check of its own chain fails: it goes up
        with central.engine.connect() as connection:
            alarms = [(a.kind, a.config_id, a.till_id, a.first_number)
                      for a in open_alarms(connection)]
        assert alarms == [("till_chain", 2, tills[1].id, 2)]
    finally:
        shop.engine.dispose()


def test_a_multi_session_spanning_the_package_is_refused_with_its_reason(central, tmp_path):
    with pytest.raises(CoreError) as refused:
        make_package(central, [1, 3], tmp_path / "half.package", "http://127.0.0.1:9")
    assert str(refused.value) == (
        "multi-session 'Shop floor' also holds Bar (config 2): its tills share orders through "
        "one instance, so package all its configs together (core autonomous package 1 2 3 ...) "
        "or take them out of the multi-session first")
    runner = CliRunner(env={"CORE_ADDONS_PATH": str(BUILT_IN_ADDONS)})
    result = runner.invoke(cli, ["--db", central.url, "autonomous", "package", "2", "-o",
                                 str(tmp_path / "bar.package"), "--server",
                                 "http://127.0.0.1:9"])
    assert result.exit_code != 0
    assert "multi-session 'Shop floor' also holds Shop (config 1)" in result.output
    assert not (tmp_path / "bar.package").exists()
    with central.engine.connect() as connection:  # nothing registered, no writer moved
        assert connection.scalar(select(func.count()).select_from(Till)) == 0
        assert point_of_sale.config_writer(connection, 2) is None
    make_package(central, 3, tmp_path / "boutique.package", "http://127.0.0.1:9")  # alone


def test_a_shops_cashiers_sign_in_on_each_config_they_are_allowed_on(central, tmp_path):
    """A manager allowed on two of the shop's configs signs in there with their PIN, and sees
    each config's tickets going up on the shop's admin page."""
    from addons.point_of_sale.staff import set_pin, sign_in_with_pin
    from core.web.users import set_password, user_id_of
    from tests.support import signed_in_client, table_row, testing_app, text_of
    with central.engine.begin() as connection:
        set_password(connection, "anna", "anna-secret-1", "manager")
        set_pin(connection, user_id_of(connection, "anna"), "271828")
        point_of_sale.set_allowed_configs(connection, user_id_of(connection, "anna"), [2, 3])
    shop = make_shop(central, tmp_path, "http://127.0.0.1:9")
    with central.engine.connect() as connection:
        tills = connection.scalars(select(Till.id).order_by(Till.id)).all()
    try:
        with shop.engine.begin() as connection:
            anna = user_id_of(connection, "anna")
            assert sorted(point_of_sale.allowed_config_ids(connection, anna)) == [2, 3]
            assert sign_in_with_pin(connection, "anna", "271828", 5, 60) == anna
            assert sign_in_with_pin(connection, "anna", "000000", 5, 60) is None
        page = text_of(signed_in_client(testing_app(shop), shop, "anna")
                       .get("/web/pos_autonomous/"))
        assert "Each config of this shop" in page  # the shop's admin, for a manager of it
        assert [table_row(page, f"up-config-{c}")[:2] for c in SHOP_CONFIGS] == [
            ["1", str(tills[0])], ["2", str(tills[1])], ["3", str(tills[2])]]
    finally:
        shop.engine.dispose()


def test_one_config_packages_stay_as_they_were(central, tmp_path):
    till = make_shop(central, tmp_path, "http://127.0.0.1:9", configs=3)
    try:
        with till.engine.connect() as connection:
            assert [p.config_id for p in role.pushers(connection)] == [3]
            assert connection.scalars(select(point_of_sale.PosConfig.id)).all() == [3]
            assert connection.execute(select(MultiSessionMember)).all() == []
        with central.engine.connect() as connection:
            assert connection.scalar(select(Till.shop_id)) is None
    finally:
        till.engine.dispose()



def test_the_central_admin_makes_a_shops_package_and_refuses_a_split_multi_session(
        central, tmp_path, monkeypatch):
    from addons.pos_autonomous.central import builds
    from addons.pos_autonomous.central.models import PackageBuild
    from tests.support import (
        ADMIN_LOGIN,
        post_form,
        signed_in_client,
        table_row,
        testing_app,
        text_of,
    )
    monkeypatch.setenv("COMPTOIR_PACKAGE_DIR", str(tmp_path / "packages"))  # its own folder
    page = "/web/pos_autonomous/"
    admin = signed_in_client(testing_app(central), central, ADMIN_LOGIN)
    assert "Several configs make a shop" in text_of(admin.get(page))
    refused = post_form(admin, page + "tills/package", page=page, data={
        "config_id": ["1", "3"], "server_url": "http://127.0.0.1:9"})
    assert refused.status_code == 303
    shown = text_of(admin.get(page))
    assert "No package made: multi-session 'Shop floor' also holds Bar (config 2)" in shown
    with central.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(PackageBuild)) == 0
    build_id = builds.request_build(central, [1, 2, 3], "http://127.0.0.1:9", name="Lyon",
                                    launch=False)  # as the form does, its process run here
    till_id = builds.run_build(central, build_id)
    with central.engine.connect() as connection:
        tills = connection.execute(select(Till).order_by(Till.id)).all()
    assert [(t.config_id, t.name, t.shop_id) for t in tills] == [
        (1, "Lyon: Shop", till_id), (2, "Lyon: Bar", till_id), (3, "Lyon: Boutique", till_id)]
    listed = text_of(admin.get(page))
    assert table_row(listed, f"till-{tills[1].id}")[1] == \
        f"Lyon: Bar (shop of till {till_id}: one instance)"
    answer = post_form(admin, page + f"builds/{build_id}/download", page=page)
    assert answer.status_code == 200, text_of(answer)
    package = tmp_path / "downloaded.package"
    package.write_bytes(answer.get_data())
    answer.close()
    shop = Instance(f"sqlite:///{tmp_path / 'shop.db'}", AddonCatalog())
    init_till(shop, package)
    with shop.engine.connect() as connection:
        assert role.config_ids(connection) == SHOP_CONFIGS
    shop.engine.dispose()
    for value in (["1", "x"], ["1"] * 101, [str(2**31)]):  # bad lists: refused, nothing made
        post_form(admin, page + "tills/package", page=page,
                  data={"config_id": value, "server_url": "http://127.0.0.1:9"})
        assert "choose the POS config the till sells for" in text_of(admin.get(page))


def test_a_shop_imports_its_configs_files_and_is_revoked_whole(central, tmp_path):
    """Files: an export for the shop's first config holds every config of the shop (a config
    alone holds its own); revoking the shop's first till revokes its other configs' too."""
    from decimal import Decimal

    from addons.pos_autonomous.central import tills
    from addons.pos_autonomous.central.exports import export
    from addons.pos_autonomous.till.imports import import_from
    from addons.pos_autonomous.till.synchroniser import request_full_import
    shop = make_shop(central, tmp_path, "http://127.0.0.1:9")
    location = str(tmp_path / "exports")
    try:
        written, full = export(central, 1, location)
        assert full and written[0].startswith("c1-0001-full-")
        request_full_import(shop)
        assert import_from(shop, location) == len(written)
        with central.engine.begin() as connection:
            connection.execute(point_of_sale.PosConfig.__table__.update().where(
                point_of_sale.PosConfig.id == 3).values(name="Boutique Lyon"))
            connection.execute(point_of_sale.Product.__table__.update().where(
                point_of_sale.Product.id == 1).values(price=Decimal("7.70")))
        written, full = export(central, 1, location)
        assert not full and import_from(shop, location) == len(written)
        with shop.engine.connect() as connection:
            names = dict(connection.execute(select(point_of_sale.PosConfig.id,
                                                   point_of_sale.PosConfig.name)).all())
            price = connection.scalar(select(point_of_sale.Product.price)
                                      .where(point_of_sale.Product.id == 1))
            members = connection.scalars(select(MultiSessionMember.config_id)
                                         .order_by(MultiSessionMember.config_id)).all()
        assert sorted(names) == SHOP_CONFIGS and names[3] == "Boutique Lyon"
        assert price == Decimal("7.70") and members == [1, 2]
        with central.engine.begin() as connection:
            first = connection.scalar(select(Till.id).where(Till.config_id == 1))
            tills.revoke(connection, first)
            revoked = connection.scalars(select(Till.revoked_at).order_by(Till.id)).all()
        assert len(revoked) == 3 and all(revoked)
    finally:
        shop.engine.dispose()
