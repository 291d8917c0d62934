"""Fixtures of the pos_check_session_state tests: the built-in addons with
pos_check_session_state (and so point_of_sale) installed with demo data, an app, clients."""
import re

import pytest
from sqlalchemy import text

from core.addons import AddonCatalog
from core.instance import Instance
from core.web import create_app
from core.web.users import set_password

ADMIN_LOGIN, ADMIN_PASSWORD = "check-manager", "password123"


@pytest.fixture
def check_instance(db_url):
    """pos_check_session_state and point_of_sale with the demo data (configs 1 Shop, 2 Bar);
    no session open yet."""
    instance = Instance(db_url, AddonCatalog())
    instance.install(["pos_check_session_state"], demo=True)
    with instance.engine.begin() as connection:
        set_password(connection, ADMIN_LOGIN, ADMIN_PASSWORD)
    yield instance
    instance.engine.dispose()


@pytest.fixture
def check_app(check_instance):
    app = create_app(instance=check_instance)
    app.testing = True
    return app


@pytest.fixture
def admin_client(check_app, check_instance):
    """A test client signed in as the admin (the POS page's cookie, and the admin pages')."""
    with check_instance.engine.connect() as connection:
        user_id = connection.scalar(text("SELECT id FROM core_user WHERE login = :login"),
                                    {"login": ADMIN_LOGIN})
    client = check_app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = user_id
    return client


def csrf_token(page_html):
    found = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert found, "the page has no csrf_token input"
    return found.group(1)


# The POS page's browser fixtures (a real server, Debian's Chromium) live with point_of_sale's
# tests; make that folder importable here too.
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

POS_TESTS = Path(__file__).resolve().parents[1] / "point_of_sale"
if str(POS_TESTS) not in sys.path:
    sys.path.append(str(POS_TESTS))
