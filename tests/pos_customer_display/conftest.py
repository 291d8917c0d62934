import pytest


@pytest.fixture
def installed_addons():
    return ["pos_customer_display"]
