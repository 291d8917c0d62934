import pytest


@pytest.fixture
def installed_addons():
    return ["pos_check_session_state"]
