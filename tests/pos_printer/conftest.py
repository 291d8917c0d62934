import pytest

from tests.pos_printer.printer_emulator import PrinterEmulator


@pytest.fixture
def installed_addons():
    return ["pos_printer"]


@pytest.fixture
def printer():
    """A network ESC/POS printer on loopback that records what it receives."""
    emulator = PrinterEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def shop_session(addon_instance):
    """The id of an opened session of config 1 (Shop)."""
    from addons.point_of_sale import open_session
    with addon_instance.engine.begin() as connection:
        return open_session(connection, 1)
