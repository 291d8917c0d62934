"""Constants and helpers of the pos_multi_session tests (imported by name: every test folder's
conftest is a module called `conftest`, so tests never import from it)."""
import os

from support import get_parameter, set_parameter

ADMIN_LOGIN, ADMIN_PASSWORD = "admin", "password123"
# Servers started by the tests see the built-in addons only, not the kernel tests' fixtures.
BUILT_IN_ADDONS_ONLY = {**os.environ, "CORE_ADDONS_PATH": "", "CORE_LOAD_ENTRY_POINTS": "0"}


def share_secret_and_origin(sync, main, main_url):
    """Let a separate sync server accept `main`'s POS tokens and its pages' calls."""
    set_parameter(sync, "core.secret_key", get_parameter(main, "core.secret_key"))
    set_parameter(sync, "pos_longpolling.cors_origins", main_url)
