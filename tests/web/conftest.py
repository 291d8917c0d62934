"""The web tests run on the kernel's `instance` (throwaway addons), with an admin."""
import pytest

from core.web.users import set_password
from tests.support import ADMIN_LOGIN, ADMIN_PASSWORD, scalar, sign_in


@pytest.fixture
def admin_user(instance):
    """The login and password of an admin of `instance`."""
    with instance.engine.begin() as connection:
        set_password(connection, ADMIN_LOGIN, ADMIN_PASSWORD)
    return ADMIN_LOGIN, ADMIN_PASSWORD


@pytest.fixture
def addon_instance(instance, admin_user):
    """The plugin's app and clients are those of `instance` here."""
    return instance


@pytest.fixture
def signed_in(instance, admin_user):
    """Mark a Flask test client as signed in as the admin, through its session cookie.

    The sign-in form itself is tested in test_admin_http.py; checking the scrypt hash again for
    every other test would cost a fifth of a second each."""
    user_id = scalar(instance, "SELECT id FROM core_user WHERE login = :login", login=ADMIN_LOGIN)

    return lambda client: sign_in(client, instance, user_id)
