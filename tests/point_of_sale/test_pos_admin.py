"""The point_of_sale admin pages (/web/pos/...) through Flask's test client, CSRF protection on,
as a browser uses them.

Each test gets a copy of one database where point_of_sale is installed with its demo data:
configs 1 Shop and 2 Bar (no session), products 1-32 (1 Espresso 1.80 at 10 %, 16 Croissant
1.60 at 5.5 %), partners 1-4 (1 "Walk-in customer (template)" is the template, 2 Alice Martin).
"""
import re
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from addons.point_of_sale import admin as pos_admin
from addons.point_of_sale import sessions
from addons.point_of_sale.models import Partner, PosConfig, PosSession, Product
from core.addons import AddonCatalog
from core.instance import Instance
from core.web import create_app
from tests.point_of_sale.pos_admin_helpers import (
    TemplateDatabase,
    admin_client_of,
    an_order,
    catalog_with,
    field_error,
    forget_package,
    insert_orders,
    push,
    row_ids,
    rows,
    write_extending_addon,
)
from tests.support import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    csrf_token,
    input_value,
    is_checked,
    post_form,
    table_row,
    text_of,
)

ESPRESSO_BARCODE = "2000000000015"


@pytest.fixture(scope="module")
def template_db(tmp_path_factory):
    template = TemplateDatabase(tmp_path_factory.mktemp("pos_admin"))
    yield template
    template.close()


@pytest.fixture
def pos(template_db, tmp_path):
    """A fresh instance with point_of_sale and its demo data installed."""
    url = template_db.copy(tmp_path)
    instance = Instance(url, AddonCatalog())
    yield instance
    instance.engine.dispose()
    template_db.drop_copy(url)


@pytest.fixture
def admin(pos):
    """A test client signed in as an admin."""
    return admin_client_of(pos)


@pytest.fixture
def visitor(pos):
    """A test client that has not signed in."""
    app = create_app(instance=pos)
    app.testing = True
    return app.test_client()


@pytest.fixture
def extended(pos, tmp_path, monkeypatch):
    """`pos` with a throwaway addon installed that depends on point_of_sale and adds three fields
    to the "pos.config" form: sync_server (url), receipt_copies (int 0-5, default 1) and
    sell_offline (bool, default on)."""
    package = f"scratch_{uuid.uuid4().hex[:8]}"
    root = tmp_path / package
    root.mkdir()
    (root / "__init__.py").write_text("")
    write_extending_addon(root, "pos_sync_settings")
    monkeypatch.syspath_prepend(str(tmp_path))
    instance = Instance(pos.url, catalog_with(root, package))
    instance.install(["pos_sync_settings"])
    yield instance
    instance.engine.dispose()
    forget_package(package)


def read(instance, query):
    """Rows of a query on the models, read straight from the database."""
    with instance.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def count(instance, model):
    return read(instance, select(func.count()).select_from(model))[0][0]


def open_session(instance, config_id):
    with instance.engine.begin() as connection:
        return sessions.open_session(connection, config_id)


def followed(client, response):
    """The page a POST redirected to (with its flash messages)."""
    assert response.status_code == 302, text_of(response)
    return client.get(response.headers["Location"])


def summary(page_html):
    """{header: cell text} of the two-column summary table of an order page."""
    found = re.search(r'<table id="order-summary">(.*?)</table>', page_html, re.S)
    return {th: " ".join(re.sub(r"<[^>]+>", " ", td).split())
            for th, td in re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", found.group(1))}


# -- signing in, CSRF, navigation -----------------------------------------------------------------

PAGES = ["/web/pos/", "/web/pos/configs", "/web/pos/configs/new", "/web/pos/configs/1",
         "/web/pos/sessions", "/web/pos/orders?page=2", "/web/pos/orders/1",
         "/web/pos/products?q=tea", "/web/pos/products/1", "/web/pos/partners",
         "/web/pos/partners/new"]


def test_every_pos_admin_page_sends_a_visitor_who_is_not_signed_in_to_the_login_page(
        visitor, subtests):
    for path in PAGES:
        with subtests.test(path=path):
            response = visitor.get(path)
            assert response.status_code == 302
            location = urlsplit(response.headers["Location"])
            assert location.path == "/web/login"
            assert parse_qs(location.query)["next"][0].rstrip("?") == path


def test_signing_in_returns_to_the_pos_page_that_asked_for_it(visitor):
    asked = visitor.get("/web/pos/products?q=tea")
    next_path = parse_qs(urlsplit(asked.headers["Location"]).query)["next"][0]
    token = csrf_token(visitor.get("/web/login").get_data(as_text=True))
    response = visitor.post("/web/login", query_string={"next": next_path}, data={
        "login": ADMIN_LOGIN, "password": ADMIN_PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/web/pos/products?q=tea"
    page = visitor.get("/web/pos/products?q=tea").get_data(as_text=True)
    assert table_row(page, "product-8")[0] == "Black tea"


def test_a_visitor_cannot_open_a_session_even_with_a_csrf_token(visitor, pos):
    token = csrf_token(visitor.get("/web/login").get_data(as_text=True))
    response = visitor.post("/web/pos/configs/1/open-session", data={"csrf_token": token})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/web/login"
    assert count(pos, PosSession) == 0


def test_a_form_posted_without_a_valid_csrf_token_is_refused_and_changes_nothing(
        admin, pos, subtests):
    for path, data in [("/web/pos/configs/1/open-session", {}),
                       ("/web/pos/configs/new", {"name": "Terrace", "active": "1"}),
                       ("/web/pos/configs/1", {"name": "Renamed"}),
                       ("/web/pos/products/new", {"name": "Tea", "price": "2"}),
                       ("/web/pos/partners/3", {"name": "Renamed", "is_customer_template": "1"})]:
        with subtests.test(path=path):
            assert admin.post(path, data=data).status_code == 400
            assert admin.post(path, data={**data, "csrf_token": "forged"}).status_code == 400
    assert count(pos, PosSession) == 0
    assert read(pos, select(PosConfig.id, PosConfig.name).order_by(PosConfig.id)) == [
        (1, "Shop"), (2, "Bar"), (3, "Boutique")]
    assert count(pos, Product) == 32
    assert read(pos, select(Partner.id).where(Partner.is_customer_template)) == [(1,)]


def test_the_index_links_every_pos_admin_page_with_its_count(admin, subtests):
    response = admin.get("/web/pos/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for section, path, number in [("configs", "/web/pos/configs", "3"),
                                  ("sessions", "/web/pos/sessions", "0"),
                                  ("orders", "/web/pos/orders", "0"),
                                  ("products", "/web/pos/products", "32"),
                                  ("partners", "/web/pos/partners", "4")]:
        with subtests.test(section=section):
            assert f'<a href="{path}">' in page
            assert table_row(page, f"section-{section}")[1] == number
            linked = admin.get(path)
            assert linked.status_code == 200
            assert f'<a href="{path}" aria-current="page">' in linked.get_data(as_text=True)


# -- POS configs and opening / closing sessions ---------------------------------------------------

def test_the_config_list_shows_each_config_with_its_current_session(admin, pos):
    open_session(pos, 1)
    page = admin.get("/web/pos/configs").get_data(as_text=True)
    assert table_row(page, "config-1") == ["Shop", "Yes", "Shop/00001", "opened",
                                           "Close session", "Open the POS"]
    assert table_row(page, "config-2") == ["Bar", "Yes", "None", "", "Open session",
                                           "Open the POS"]
    assert '<a href="/pos/ui/1">Open the POS</a>' in page
    assert 'action="/web/pos/configs/2/open-session"' in page
    assert 'action="/web/pos/configs/1/close-session"' in page


def test_opening_a_session_from_the_admin_opens_one_for_the_config(admin, pos):
    response = post_form(admin, "/web/pos/configs/2/open-session", {"next": "/web/pos/configs"},
                         page="/web/pos/configs")
    assert response.headers["Location"] == "/web/pos/configs"
    assert read(pos, select(PosSession.config_id, PosSession.name, PosSession.state)) == [
        (2, "Bar/00001", "opened")]
    page = followed(admin, response)
    assert "Session Bar/00001 is open." in text_of(page)
    assert table_row(page.get_data(as_text=True), "config-2")[2:5] == [
        "Bar/00001", "opened", "Close session"]


def test_closing_a_session_from_the_admin_moves_it_to_closed(admin, pos):
    session_id = open_session(pos, 1)
    response = post_form(admin, "/web/pos/configs/1/close-session",
                         {"next": "/web/pos/sessions"}, page="/web/pos/sessions")
    assert response.headers["Location"] == "/web/pos/sessions"
    [(state, closed_at)] = read(pos, select(PosSession.state, PosSession.closed_at))
    assert state == "closed" and closed_at is not None
    page = followed(admin, response)
    assert "Session Shop/00001 is closed." in text_of(page)
    name, state, opened, closed, orders, total = table_row(page.get_data(as_text=True),
                                                           f"session-{session_id}")
    assert (name, state, orders, total) == ("Shop/00001", "closed", "0", "0.00")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", closed) and opened <= closed


def test_a_session_error_is_shown_as_a_flash_message_and_changes_nothing(admin, pos, subtests):
    with subtests.test("closing a config without an open session"):
        page = followed(admin, post_form(admin, "/web/pos/configs/1/close-session",
                                         page="/web/pos/configs"))
        assert '<div class="flash error" role="status">Shop has no open session</div>' in (
            page.get_data(as_text=True))
        assert count(pos, PosSession) == 0
    with subtests.test("opening a config whose session is being closed"):
        session_id = open_session(pos, 2)
        with pos.engine.begin() as connection:
            sessions.start_closing(connection, 2)
        page = followed(admin, post_form(admin, "/web/pos/configs/2/open-session",
                                         page="/web/pos/configs"))
        assert ("session Bar/00001 of Bar is being closed; finish closing it first"
                in text_of(page))
        assert read(pos, select(PosSession.id, PosSession.state)) == [
            (session_id, "closing_control")]
    with subtests.test("an unknown config"):
        page = followed(admin, post_form(admin, "/web/pos/configs/99/open-session",
                                         page="/web/pos/configs"))
        assert "no POS config with id 99" in text_of(page)


def test_after_a_session_button_a_next_path_on_another_site_is_ignored(admin):
    response = post_form(admin, "/web/pos/configs/1/open-session",
                         {"next": "//evil.example/"}, page="/web/pos/configs")
    assert response.headers["Location"] == "/web/pos/configs"


def test_creating_a_config_stores_it(admin, pos):
    form = admin.get("/web/pos/configs/new").get_data(as_text=True)
    assert input_value(form, "name") == "" and is_checked(form, "active")
    response = post_form(admin, "/web/pos/configs/new", {"name": "  Terrace ", "active": "1"})
    assert response.headers["Location"] == "/web/pos/configs"
    assert read(pos, select(PosConfig.name, PosConfig.active).where(PosConfig.id > 3)) == [
        ("Terrace", True)]
    assert "Saved POS config Terrace." in text_of(followed(admin, response))


def test_editing_a_config_changes_its_name_and_active_flag(admin, pos):
    form = admin.get("/web/pos/configs/2").get_data(as_text=True)
    assert input_value(form, "name") == "Bar" and is_checked(form, "active")
    # point_of_sale alone declares one field of its own there: the cash in/out limit.
    assert form.count('name="cash_move_approval_limit"') == 1 and input_value(
        form, "cash_move_approval_limit") == "100"
    response = post_form(admin, "/web/pos/configs/2", {"name": "Bar counter"})  # unchecked
    assert response.status_code == 302
    assert read(pos, select(PosConfig.name, PosConfig.active).where(PosConfig.id == 2)) == [
        ("Bar counter", False)]
    page = admin.get("/web/pos/configs").get_data(as_text=True)
    assert table_row(page, "config-2")[:2] == ["Bar counter", "No"]


def test_an_invalid_config_name_is_refused_and_nothing_is_stored(admin, pos, subtests):
    for path in ["/web/pos/configs/1", "/web/pos/configs/new"]:
        for name, message in [("", "this field is required"), ("   ", "this field is required"),
                              ("x" * 65, "at most 64 characters")]:
            with subtests.test(path=path, name=name):
                response = post_form(admin, path, {"name": name, "active": "1"})
                assert response.status_code == 400
                page = response.get_data(as_text=True)
                assert "Some fields need attention." in page
                assert field_error(page, "name") == message
                assert input_value(page, "name") == name  # kept, to be fixed
                assert is_checked(page, "active")
    assert read(pos, select(PosConfig.id, PosConfig.name).order_by(PosConfig.id)) == [
        (1, "Shop"), (2, "Bar"), (3, "Boutique")]


def test_config_form_shows_fields_declared_by_installed_addons(extended):
    client = admin_client_of(extended)
    for path in ["/web/pos/configs/1", "/web/pos/configs/new"]:
        page = client.get(path).get_data(as_text=True)
        for label in ("Sync Server", "Receipt copies", "Sell while offline"):
            assert label in page
        assert input_value(page, "sync_server") == ""  # the declared defaults
        assert input_value(page, "receipt_copies") == "1"
        assert is_checked(page, "sell_offline")
        assert "Leave empty to sync through this server" in page  # the field's help
    response = post_form(client, "/web/pos/configs/1", {
        "name": "Shop", "active": "1", "sync_server": "http://192.168.1.10:8069/",
        "receipt_copies": "2"})  # sell_offline unchecked
    assert response.status_code == 302
    assert rows(extended, "SELECT field, value, addon FROM core_record_setting "
                          "WHERE form = 'pos.config' AND record_id = 1 "
                          "AND addon != 'point_of_sale' ORDER BY field") == [
        ("receipt_copies", "2", "pos_sync_settings"),
        ("sell_offline", "0", "pos_sync_settings"),
        ("sync_server", "http://192.168.1.10:8069", "pos_sync_settings")]
    page = client.get("/web/pos/configs/1").get_data(as_text=True)
    assert input_value(page, "sync_server") == "http://192.168.1.10:8069"
    assert input_value(page, "receipt_copies") == "2"
    assert not is_checked(page, "sell_offline")


def test_a_new_config_stores_the_addon_fields_under_its_new_id(extended):
    client = admin_client_of(extended)
    response = post_form(client, "/web/pos/configs/new", {
        "name": "Terrace", "active": "1", "receipt_copies": "0", "sell_offline": "1"})
    assert response.status_code == 302
    [(config_id,)] = read(extended, select(PosConfig.id).where(PosConfig.name == "Terrace"))
    assert rows(extended, "SELECT field, value FROM core_record_setting "
                          "WHERE form = 'pos.config' AND record_id = :id "
                          "AND addon != 'point_of_sale' ORDER BY field",
                id=config_id) == [("receipt_copies", "0"), ("sell_offline", "1"),
                                  ("sync_server", "")]


def test_a_field_error_rerenders_the_config_form_with_400_and_stores_nothing(extended, subtests):
    client = admin_client_of(extended)
    for path, data, field, message in [
        ("/web/pos/configs/1", {"name": "Renamed", "sync_server": "ftp://files",
                                "receipt_copies": "2"},
         "sync_server", "'ftp://files' is not an http(s) URL such as http://192.168.1.10:8069"),
        ("/web/pos/configs/1", {"name": "Renamed", "receipt_copies": "9"},
         "receipt_copies", "must be at most 5"),
        ("/web/pos/configs/1", {"name": "", "receipt_copies": "2"},
         "name", "this field is required"),
        ("/web/pos/configs/new", {"name": "Terrace", "receipt_copies": "many"},
         "receipt_copies", "'many' is not a whole number"),
    ]:
        with subtests.test(path=path, field=field):
            response = post_form(client, path, {**data, "active": "1"})
            assert response.status_code == 400
            page = response.get_data(as_text=True)
            assert field_error(page, field) == message
            assert input_value(page, "name") == data["name"]
            assert input_value(page, "receipt_copies") == data["receipt_copies"]
            assert not is_checked(page, "sell_offline")  # as it was sent
    assert read(extended, select(PosConfig.id, PosConfig.name).order_by(PosConfig.id)) == [
        (1, "Shop"), (2, "Bar"), (3, "Boutique")]
    assert rows(extended, "SELECT * FROM core_record_setting") == []


# -- sessions -------------------------------------------------------------------------------------

def test_the_sessions_page_lists_each_configs_sessions_with_order_count_and_total(admin, pos):
    first = open_session(pos, 1)
    morning = datetime(2026, 11, 22, 8, 30, tzinfo=timezone.utc)
    push(pos, an_order(first, 1, morning),  # an espresso: 1.80 + 10 % = 1.98
         an_order(first, 2, morning, lines=((16, "2", "1.60"),)))  # 3.20 + 5.5 % = 3.38
    with pos.engine.begin() as connection:
        sessions.close_session(connection, 1)
    second = open_session(pos, 1)
    page = admin.get("/web/pos/sessions").get_data(as_text=True)
    name, state, opened, closed, orders, total = table_row(page, f"session-{first}")
    assert (name, state, orders, total) == ("Shop/00001", "closed", "2", "5.36")
    assert opened and closed
    assert table_row(page, f"session-{second}")[:2] == ["Shop/00002", "opened"]
    assert table_row(page, f"session-{second}")[3:] == ["", "0", "0.00"]
    assert row_ids(page, "session-") == [f"session-{second}", f"session-{first}"]  # newest 1st
    bar, boutique, shop = re.findall(r'<section id="sessions-of-config-(\d+)">(.*?)</section>',
                                     page, re.S)  # configs by name
    assert boutique[0] == "3" and "No session yet." in boutique[1]
    assert shop[0] == "1" and "<h2>Shop</h2>" in shop[1] and "Close session" in shop[1]
    assert bar[0] == "2" and "No session yet." in bar[1] and "Open session" in bar[1]
    # The order count leads to the session's orders.
    assert f'<a href="/web/pos/orders?session_id={first}">2</a>' in page
    orders_page = admin.get(f"/web/pos/orders?session_id={first}").get_data(as_text=True)
    assert "Orders of session Shop/00001" in orders_page
    assert len(row_ids(orders_page, "order-")) == 2
    assert row_ids(admin.get(f"/web/pos/orders?session_id={second}").get_data(as_text=True),
                   "order-") == []


def test_the_sessions_page_shows_the_latest_sessions_and_pages_through_the_rest(admin, pos):
    with pos.engine.begin() as connection:
        for _ in range(pos_admin.SESSIONS_PER_CONFIG + 5):
            sessions.open_session(connection, 2)
            sessions.close_session(connection, 2)
    page = admin.get("/web/pos/sessions").get_data(as_text=True)
    assert len(row_ids(page, "session-")) == pos_admin.SESSIONS_PER_CONFIG
    assert table_row(page, row_ids(page, "session-")[0])[0] == "Bar/00025"
    assert '<a href="/web/pos/sessions?config_id=2">All 25 sessions of Bar</a>' in page
    all_of_bar = admin.get("/web/pos/sessions?config_id=2").get_data(as_text=True)
    assert "<h1>Sessions of Bar</h1>" in all_of_bar
    assert len(row_ids(all_of_bar, "session-")) == 25
    assert "sessions-of-config-1" not in all_of_bar


# -- orders ---------------------------------------------------------------------------------------

def test_orders_are_listed_newest_first_fifty_per_page(admin, pos):
    session_id = open_session(pos, 1)
    minutes = [(n * 7) % 120 for n in range(120)]  # 0, 7, 14, ...: ids do not follow time
    insert_orders(pos, session_id, minutes)

    def references(path):
        page = admin.get(path).get_data(as_text=True)
        return [table_row(page, row_id)[0] for row_id in row_ids(page, "order-")], page

    first, page = references("/web/pos/orders")
    assert first == [f"Bulk {n:04d}" for n in range(119, 69, -1)]
    assert "Page 1 of 3 (120 in all)" in page
    assert '<a href="/web/pos/orders?page=2" rel="next">' in page and 'rel="prev"' not in page
    [newest] = [row_id for row_id in row_ids(page, "order-")
                if table_row(page, row_id)[0] == "Bulk 0119"]
    assert table_row(page, newest) == ["Bulk 0119", "Shop/00001", "", "1.98", "2.00", "0.02",
                                       "2026-11-22 09:59:00"]
    second, page = references("/web/pos/orders?page=2")
    assert second == [f"Bulk {n:04d}" for n in range(69, 19, -1)]
    assert 'href="/web/pos/orders?page=1" rel="prev"' in page
    last, page = references("/web/pos/orders?page=3")
    assert last == [f"Bulk {n:04d}" for n in range(19, -1, -1)]
    assert 'rel="next"' not in page
    assert references("/web/pos/orders?page=99")[0] == last  # clamped to the last page
    assert references("/web/pos/orders?page=nope")[0] == first


def test_an_order_page_shows_its_lines_with_product_names_and_its_payments(admin, pos):
    session_id = open_session(pos, 1)
    [order_id] = push(pos, an_order(
        session_id, 7, datetime(2026, 11, 22, 10, 15, tzinfo=timezone.utc),
        lines=((1, "2", "1.80"), (16, "1", "1.60")),  # 3.60 + 0.36, 1.60 + 0.09
        payments=[{"method": "card", "amount": "3.00"}, {"method": "cash", "amount": "5.00"}],
        partner_id=2))
    response = admin.get(f"/web/pos/orders/{order_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Order Order 00007</h1>" in page
    details = summary(page)
    assert {key: details[key] for key in ("Session", "Customer", "Created on the till",
                                          "Untaxed", "Tax", "Total", "Paid", "Change")} == {
        "Session": "Shop/00001", "Customer": "Alice Martin",
        "Created on the till": "2026-11-22 10:15:00", "Untaxed": "5.20", "Tax": "0.45",
        "Total": "5.65", "Paid": "8.00", "Change": "2.35"}
    assert [table_row(page, row_id) for row_id in row_ids(page, "line-")] == [
        ["Espresso", "2", "1.80", "0.00", "3.60", "3.96"],
        ["Croissant", "1", "1.60", "0.00", "1.60", "1.69"]]
    assert [table_row(page, row_id) for row_id in row_ids(page, "payment-")] == [
        ["card", "3.00"], ["cash", "5.00"]]
    listing = admin.get("/web/pos/orders").get_data(as_text=True)
    assert table_row(listing, f"order-{order_id}") == [
        "Order 00007", "Shop/00001", "Alice Martin", "5.65", "8.00", "2.35",
        "2026-11-22 10:15:00"]


def test_an_unknown_record_is_not_found(admin, subtests):
    for path in ["/web/pos/orders/999", "/web/pos/orders?session_id=999", "/web/pos/configs/99",
                 "/web/pos/sessions?config_id=99", "/web/pos/products/999",
                 "/web/pos/partners/999"]:
        with subtests.test(path=path):
            assert admin.get(path).status_code == 404


# -- products -------------------------------------------------------------------------------------

def product(instance, product_id):
    return read(instance, select(Product.name, Product.barcode, Product.price, Product.tax_rate,
                                 Product.category, Product.active)
                .where(Product.id == product_id))[0]


def test_products_can_be_searched_by_name_barcode_or_category(admin, subtests):
    page = admin.get("/web/pos/products").get_data(as_text=True)
    assert table_row(page, "product-1") == ["Espresso", ESPRESSO_BARCODE, "Coffee", "1.80",
                                            "10.00", "Yes"]
    for q, names in [("tea", ["Black tea", "Green tea"]), (" TEA ", ["Black tea", "Green tea"]),
                     ("2000000000169", ["Croissant"]),
                     ("bakery", ["Almond croissant", "Baguette", "Brioche", "Cinnamon roll",
                                 "Croissant", "Pain au chocolat"]),
                     ("%", []), ("_", []), ("no such thing", [])]:
        with subtests.test(q=q):
            response = admin.get("/web/pos/products", query_string={"q": q})
            page = response.get_data(as_text=True)
            assert [table_row(page, r)[0] for r in row_ids(page, "product-")] == names
            assert input_value(page, "q") == q.strip()
            if not names:
                assert f"No product matches “{q.strip()}”." in text_of(response)


def test_creating_a_product_stores_it(admin, pos):
    response = post_form(admin, "/web/pos/products/new", {
        "name": " Tarte Tatin ", "barcode": " 2000000000336 ", "price": "4,8",
        "tax_rate": "5.5", "category": "Desserts", "active": "1"})
    assert response.headers["Location"] == "/web/pos/products"
    assert "Saved product Tarte Tatin." in text_of(followed(admin, response))
    assert read(pos, select(Product.name, Product.barcode, Product.price, Product.tax_rate,
                            Product.category, Product.active).where(Product.id > 32)) == [
        ("Tarte Tatin", "2000000000336", Decimal("4.80"), Decimal("5.50"), "Desserts", True)]


def test_editing_a_product_changes_it_and_keeps_its_own_barcode(admin, pos):
    form = admin.get("/web/pos/products/1").get_data(as_text=True)
    assert [input_value(form, name) for name in ("name", "barcode", "price", "tax_rate",
                                                  "category")] == [
        "Espresso", ESPRESSO_BARCODE, "1.80", "10.00", "Coffee"]
    assert is_checked(form, "active")
    response = post_form(admin, "/web/pos/products/1", {
        "name": "Espresso", "barcode": ESPRESSO_BARCODE, "price": "1.90", "tax_rate": "10",
        "category": "Coffee"})  # active unchecked
    assert response.status_code == 302
    assert product(pos, 1) == ("Espresso", ESPRESSO_BARCODE, Decimal("1.90"), Decimal("10.00"),
                               "Coffee", False)


def test_a_duplicate_barcode_is_a_form_error(admin, pos, subtests):
    for path in ["/web/pos/products/new", "/web/pos/products/2"]:
        with subtests.test(path=path):
            response = post_form(admin, path, {"name": "Copy", "barcode": ESPRESSO_BARCODE,
                                               "price": "2", "active": "1"})
            assert response.status_code == 400
            page = response.get_data(as_text=True)
            assert field_error(page, "barcode") == "another product already has this barcode"
            assert input_value(page, "barcode") == ESPRESSO_BARCODE
    assert count(pos, Product) == 32
    assert product(pos, 2)[:2] == ("Double espresso", "2000000000022")


def test_a_barcode_taken_between_the_check_and_the_save_is_still_a_form_error(admin, pos,
                                                                              monkeypatch):
    monkeypatch.setattr(pos_admin, "barcode_taken", lambda *args: False)  # lose the race
    response = post_form(admin, "/web/pos/products/new",
                         {"name": "Copy", "barcode": ESPRESSO_BARCODE, "price": "2"})
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "barcode") == (
        "another product already has this barcode")
    assert count(pos, Product) == 32


def test_products_without_a_barcode_may_be_many(admin, pos):
    for name in ("Cookie", "Muffin"):
        response = post_form(admin, "/web/pos/products/new",
                             {"name": name, "barcode": "  ", "price": "2.50"})
        assert response.status_code == 302
    assert read(pos, select(Product.name, Product.barcode, Product.tax_rate)
                .where(Product.id > 32).order_by(Product.id)) == [
        ("Cookie", None, Decimal("0.00")), ("Muffin", None, Decimal("0.00"))]


def test_invalid_product_fields_are_refused_with_a_message_each(admin, pos, subtests):
    response = post_form(admin, "/web/pos/products/1", {
        "name": " ", "barcode": "8" * 33, "price": "-1", "tax_rate": "101", "category": "c" * 65})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert {name: field_error(page, name) for name in
            ("name", "barcode", "price", "tax_rate", "category")} == {
        "name": "this field is required", "barcode": "at most 32 characters",
        "price": "must be at least 0", "tax_rate": "must be at most 100",
        "category": "at most 64 characters"}
    assert input_value(page, "price") == "-1" and input_value(page, "tax_rate") == "101"
    for field, value, message in [("price", "abc", "'abc' is not a number"),
                                  ("price", "", "this field is required"),
                                  ("price", "1.234", "at most 2 decimal places"),
                                  ("price", "NaN", "'NaN' is not a number"),
                                  ("price", "Infinity", "'Infinity' is not a number"),
                                  ("price", "1e12", "must be at most 1000000000"),
                                  ("tax_rate", "-0.5", "must be at least 0"),
                                  ("tax_rate", "12.345", "at most 2 decimal places")]:
        with subtests.test(field=field, value=value):
            data = {"name": "Tea", "price": "2", "tax_rate": "10", field: value}
            response = post_form(admin, "/web/pos/products/new", data)
            assert response.status_code == 400
            assert field_error(response.get_data(as_text=True), field) == message
    assert count(pos, Product) == 32
    assert product(pos, 1) == ("Espresso", ESPRESSO_BARCODE, Decimal("1.80"), Decimal("10.00"),
                               "Coffee", True)


# -- partners -------------------------------------------------------------------------------------

def templates(instance):
    return [row[0] for row in read(instance, select(Partner.id)
                                   .where(Partner.is_customer_template).order_by(Partner.id))]


def test_the_partner_list_shows_which_partner_is_the_template(admin, subtests):
    page = admin.get("/web/pos/partners").get_data(as_text=True)
    assert table_row(page, "partner-1") == ["Walk-in customer (template)", "", "", "Yes"]
    assert table_row(page, "partner-2") == ["Alice Martin", "alice@example.com",
                                            "+33 6 12 34 56 78", ""]
    for q, names in [("example.com", ["Alice Martin", "Bruno Lefèvre"]),
                     ("+33 1", ["Café des Arts"])]:
        with subtests.test(q=q):
            found = admin.get("/web/pos/partners", query_string={"q": q}).get_data(as_text=True)
            assert [table_row(found, r)[0] for r in row_ids(found, "partner-")] == names


def test_creating_and_editing_a_partner(admin, pos):
    response = post_form(admin, "/web/pos/partners/new", {
        "name": "Chloé Dubois", "email": "chloe@example.com", "phone": "+33 6 00 00 00 00"})
    assert response.headers["Location"] == "/web/pos/partners"
    assert "Saved partner Chloé Dubois." in text_of(followed(admin, response))
    [(partner_id, is_template)] = read(pos, select(Partner.id, Partner.is_customer_template)
                                       .where(Partner.name == "Chloé Dubois"))
    assert not is_template
    form = admin.get(f"/web/pos/partners/{partner_id}").get_data(as_text=True)
    assert input_value(form, "email") == "chloe@example.com"
    assert not is_checked(form, "is_customer_template")
    post_form(admin, f"/web/pos/partners/{partner_id}",
              {"name": "Chloé Dubois", "email": "", "phone": "01 40 00 00 01"})
    assert read(pos, select(Partner.email, Partner.phone).where(Partner.id == partner_id)) == [
        ("", "01 40 00 00 01")]
    assert templates(pos) == [1]


def test_setting_a_template_partner_clears_the_previous_one(admin, pos):
    assert templates(pos) == [1]
    form = admin.get("/web/pos/partners/3").get_data(as_text=True)
    assert not is_checked(form, "is_customer_template")
    response = post_form(admin, "/web/pos/partners/3", {
        "name": "Bruno Lefèvre", "email": "bruno@example.com", "phone": "+33 6 98 76 54 32",
        "is_customer_template": "1"})
    assert response.status_code == 302
    assert templates(pos) == [3]
    page = admin.get("/web/pos/partners").get_data(as_text=True)
    assert [r for r in row_ids(page, "partner-") if table_row(page, r)[3] == "Yes"] == [
        "partner-3"]
    # A new partner made the template takes it over too; saving the template again keeps it.
    post_form(admin, "/web/pos/partners/new", {"name": "Till customer defaults",
                                               "is_customer_template": "1"})
    [new_id] = templates(pos)
    assert new_id > 4
    post_form(admin, f"/web/pos/partners/{new_id}", {"name": "Till defaults",
                                                     "is_customer_template": "1"})
    assert templates(pos) == [new_id]
    # Unchecking it leaves no template.
    post_form(admin, f"/web/pos/partners/{new_id}", {"name": "Till defaults"})
    assert templates(pos) == []


def test_invalid_partner_fields_are_refused_and_nothing_is_written(admin, pos):
    response = post_form(admin, "/web/pos/partners/2", {
        "name": "", "email": "alice at example", "phone": "0" * 33,
        "is_customer_template": "1"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert {name: field_error(page, name) for name in ("name", "email", "phone")} == {
        "name": "this field is required", "email": "not an email address (name@example.com)",
        "phone": "at most 32 characters"}
    assert input_value(page, "email") == "alice at example"
    assert is_checked(page, "is_customer_template")
    assert read(pos, select(Partner.name, Partner.email).where(Partner.id == 2)) == [
        ("Alice Martin", "alice@example.com")]
    assert templates(pos) == [1]
    assert post_form(admin, "/web/pos/partners/new", {"name": "x" * 129}).status_code == 400
    assert count(pos, Partner) == 4
