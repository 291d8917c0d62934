"""Helpers of the web tests."""
from tests.support import ADMIN_LOGIN, ADMIN_PASSWORD, csrf_token, scalar


def sign_in(client, login=ADMIN_LOGIN, password=ADMIN_PASSWORD, next_path=None):
    """Sign in through the login form, as a browser would; return the POST's response."""
    token = csrf_token(client.get("/web/login").get_data(as_text=True))
    query = {"next": next_path} if next_path is not None else {}
    return client.post("/web/login", query_string=query,
                       data={"login": login, "password": password, "csrf_token": token})


def item_count(instance):
    return scalar(instance, "SELECT count(*) FROM base_thing_item")
