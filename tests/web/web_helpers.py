"""Helpers of the web tests (imported by tests/web/conftest.py and the test modules)."""
from support import (CORE_COMMAND, csrf_token, free_port, input_value, is_checked,  # noqa: F401
                     post_form, scalar, stop_process_group, table_row, text_of)

ADMIN_LOGIN, ADMIN_PASSWORD = "admin", "password123"


# -- apps and clients -------------------------------------------------------------------------


def sign_in(client, login=ADMIN_LOGIN, password=ADMIN_PASSWORD, next_path=None):
    """Sign in through the login form, as a browser would; return the POST's response."""
    token = csrf_token(client.get("/web/login").get_data(as_text=True))
    query = {"next": next_path} if next_path is not None else {}
    return client.post("/web/login", query_string=query,
                       data={"login": login, "password": password, "csrf_token": token})


def item_count(instance):
    return scalar(instance, "SELECT count(*) FROM base_thing_item")
