"""Helpers of the point_of_sale admin tests (tests/point_of_sale/test_pos_admin.py).

* `TemplateDatabase`: point_of_sale with its demo data and an admin user, installed once per test
  module and copied for each test (a file copy on SQLite, `CREATE DATABASE ... TEMPLATE` on
  PostgreSQL): a tenth of what an install costs, so every test still starts from a fresh database.
* Orders made the way a till makes them, through `orders.push_orders`.
"""
import html
import os
import re
import shutil
import sys
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.addons import BUILTIN_ADDONS, AddonCatalog
from core.db import resolve_url
from core.instance import Instance
from core.web.users import set_password
from tests.support import ADMIN_LOGIN, ADMIN_PASSWORD, signed_in_client, testing_app

# -- databases ------------------------------------------------------------------------------------

class TemplateDatabase:
    """An installed point_of_sale database (demo data, an admin) that tests get copies of."""

    def __init__(self, folder):
        self.server = os.environ.get("CORE_TEST_DB")
        if self.server:
            self.server_url = make_url(resolve_url(self.server))
            self.admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
            self.name = self._create(f"core_test_{uuid.uuid4().hex[:12]}_template")
            self.url = self._url(self.name)
        else:
            self.url = f"sqlite:///{folder / 'template.db'}"
        instance = Instance(self.url, AddonCatalog())
        try:
            instance.install(["point_of_sale"], demo=True)
            with instance.engine.begin() as connection:
                set_password(connection, ADMIN_LOGIN, ADMIN_PASSWORD)
        finally:
            instance.engine.dispose()  # PostgreSQL copies a template nobody is connected to

    def _url(self, name):
        return self.server_url.set(database=name).render_as_string(hide_password=False)

    def _create(self, name, template=None):
        clause = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        return name

    def _drop(self, name):
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def copy(self, folder):
        """The URL of a new database holding what the template holds."""
        if self.server:
            return self._url(self._create(f"core_test_{uuid.uuid4().hex[:12]}", self.name))
        path = folder / f"pos-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(make_url(self.url).database, path)
        return f"sqlite:///{path}"

    def drop_copy(self, url):
        if self.server:
            self._drop(make_url(url).database)  # SQLite copies go with the test's tmp_path

    def close(self):
        if self.server:
            self._drop(self.name)
            self.admin.dispose()


def admin_client_of(instance):
    """A test client of the app of `instance` (as installed now), signed in as the admin."""
    return signed_in_client(testing_app(instance), instance)


# -- a throwaway addon extending the POS config form ----------------------------------------------

EXTENDING_MANIFEST = """{"name": "POS sync settings (test)", "depends": ["point_of_sale"]}"""
EXTENDING_HOOKS = '''
from core import ConfigField, hookimpl


@hookimpl
def register_config_fields(form):
    if form != "pos.config":
        return []
    return [
        ConfigField("sync_server", "Sync Server", type="url",
                    help="Leave empty to sync through this server"),
        ConfigField("receipt_copies", "Receipt copies", type="int", default=1, min=0, max=5),
        ConfigField("sell_offline", "Sell while offline", type="bool", default=True),
    ]
'''


def write_extending_addon(folder, name):
    """Write addon `name` (depends on point_of_sale, adds three fields to "pos.config")."""
    addon = folder / name
    addon.mkdir()
    (addon / "__init__.py").write_text("")
    (addon / "__manifest__.py").write_text(EXTENDING_MANIFEST)
    (addon / "hooks.py").write_text(EXTENDING_HOOKS)


def catalog_with(root, package):
    """The built-in addons plus those of `root` (each importable as `addons.<name>`)."""
    return AddonCatalog([BUILTIN_ADDONS, root], entry_points=False)


def forget_package(package):
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]


# -- orders as a till pushes them -----------------------------------------------------------------

def push(instance, *orders):
    """Store orders through the order push; return the new order ids."""
    from addons.point_of_sale.orders import push_orders
    with instance.engine.begin() as connection:
        results = push_orders(connection, list(orders))
    assert all(r["status"] == "created" for r in results), results
    return [r["order_id"] for r in results]


def an_order(session_id, number, created_at, lines=((1, "1", "1.80"),), payments=None,
             partner_id=None):
    """An order of `lines` (product id, qty, unit price), paid in cash by default."""
    order = {"uuid": f"test-{uuid.uuid4().hex}", "session_id": session_id,
             "reference": f"Order {number:05d}", "sequence_number": number,
             "created_at": created_at.isoformat(), "partner_id": partner_id,
             "lines": [{"product_id": p, "qty": q, "price_unit": u} for p, q, u in lines]}
    if payments is None:
        payments = [{"method": "cash", "amount": "1000"}]
    order["payments"] = payments
    return order


MORNING = datetime(2026, 11, 22, 8, tzinfo=timezone.utc)


def insert_orders(instance, session_id, minutes, start=MORNING):
    """Orders of one espresso made `minutes` after `start` (in that order, so ids need not follow
    time), called "Bulk <minute>", inserted in one statement: faster than a push, and the admin
    pages only read them. Return {reference: created_at}."""
    rows = [{"uuid": f"bulk-{n}", "reference": f"Bulk {n:04d}", "session_id": session_id,
             "created_at": start + timedelta(minutes=n), "amount_untaxed": Decimal("1.80"),
             "amount_tax": Decimal("0.18"), "amount_total": Decimal("1.98"),
             "amount_paid": Decimal("2.00"), "amount_return": Decimal("0.02")}
            for n in minutes]
    from addons.point_of_sale.models import Order
    with instance.engine.begin() as connection:
        connection.execute(Order.__table__.insert(), rows)
    return {row["reference"]: row["created_at"] for row in rows}


# -- reading pages (as tests/web/web_helpers.py) --------------------------------------------------


def rows(instance, sql, **params):
    with instance.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def row_ids(page_html, prefix):
    """The ids of the table rows `<tr id="prefix...">`, in page order."""
    return re.findall(rf'<tr id="({re.escape(prefix)}[^"]*)">', page_html)


def field_error(page_html, name):
    """The message shown under the field `name`, or None."""
    found = re.search(rf'<div class="error" id="error-{re.escape(name)}" role="alert">(.*?)</div>',
                      page_html, re.S)
    return html.unescape(found.group(1)) if found else None
