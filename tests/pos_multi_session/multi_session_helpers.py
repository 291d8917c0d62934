"""Helpers of the pos_multi_session tests."""
from tests.support import get_parameter, set_parameter


def trust_tokens_and_origin(sync, main, main_url):
    """Let a separate sync server accept `main`'s POS tokens and its pages' calls, as
    docs/deploy.md says: the main's POS token key (never its core.secret_key)."""
    set_parameter(sync, "point_of_sale.trusted_token_keys",
                  f"{main.db_name}={get_parameter(main, 'point_of_sale.token_key')}")
    set_parameter(sync, "pos_longpolling.cors_origins", main_url)
