"""Helpers of the pos_multi_session tests."""
from tests.support import get_parameter, set_parameter


def share_secret_and_origin(sync, main, main_url):
    """Let a separate sync server accept `main`'s POS tokens and its pages' calls."""
    set_parameter(sync, "core.secret_key", get_parameter(main, "core.secret_key"))
    set_parameter(sync, "pos_longpolling.cors_origins", main_url)
