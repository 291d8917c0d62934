"""Fixtures of the pos_check_session_state tests: the built-in addons with
pos_check_session_state (and so point_of_sale) installed with demo data, an app, clients."""
import pytest

from support import installed_instance, signed_in_client, testing_app

ADMIN_LOGIN = "check-manager"


@pytest.fixture
def check_instance(db_url):
    """pos_check_session_state and point_of_sale with the demo data (configs 1 Shop, 2 Bar);
    no session open yet."""
    instance = installed_instance(db_url, ["pos_check_session_state"], ADMIN_LOGIN)
    yield instance
    instance.engine.dispose()


@pytest.fixture
def check_app(check_instance):
    return testing_app(check_instance)


@pytest.fixture
def admin_login():
    return ADMIN_LOGIN


@pytest.fixture
def admin_client(check_app, check_instance):
    """A test client signed in as the admin (the POS page's cookie, and the admin pages')."""
    return signed_in_client(check_app, check_instance, ADMIN_LOGIN)


# The POS page's browser fixtures (a real server, Debian's Chromium) live with point_of_sale's
# tests; make that folder importable here too.
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

POS_TESTS = Path(__file__).resolve().parents[1] / "point_of_sale"
if str(POS_TESTS) not in sys.path:
    sys.path.append(str(POS_TESTS))
