import pytest

from tests.pos_multi_session_sync.sync_helpers import DBNAME, MULTI_SESSION
from tests.support import bearer_header, set_parameter

# The POS token key of the main instance "shop" whose tills the tests play (sync_helpers).
MAIN_TOKEN_KEY = "token-key-of-the-main-instance-shop"


@pytest.fixture
def installed_addons():
    """The sync server alone (it brings pos_longpolling and point_of_sale)."""
    return ["pos_multi_session_sync"]


@pytest.fixture
def addon_instance(addon_instance):
    """The sync server, trusting the tokens of the main instance "shop"."""
    set_parameter(addon_instance, "point_of_sale.trusted_token_keys", f"{DBNAME}={MAIN_TOKEN_KEY}")
    return addon_instance


@pytest.fixture
def token_for(addon_instance):
    """`token_for(config_id, run=1)`: the Authorization header of a POS token that the main
    instance "shop" issues for that config, in multi-session 1 on run `run`."""
    return lambda config_id, run=1: bearer_header(
        addon_instance, config_id, DBNAME, {MULTI_SESSION: run}, MAIN_TOKEN_KEY)
