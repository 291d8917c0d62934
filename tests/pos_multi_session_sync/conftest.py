import pytest


@pytest.fixture
def installed_addons():
    """The sync server alone (it brings pos_longpolling and point_of_sale)."""
    return ["pos_multi_session_sync"]
