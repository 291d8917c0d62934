"""Helpers of the web tests (imported by tests/web/conftest.py and the test modules)."""
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from support import (csrf_token, free_port, input_value, is_checked, post_form,  # noqa: F401
                     scalar, stop_process_group, table_row, text_of)

ADMIN_LOGIN, ADMIN_PASSWORD = "admin", "password123"
CORE_COMMAND = str(Path(sys.executable).with_name("core"))  # the virtualenv's `core` script


# -- apps and clients -------------------------------------------------------------------------


def sign_in(client, login=ADMIN_LOGIN, password=ADMIN_PASSWORD, next_path=None):
    """Sign in through the login form, as a browser would; return the POST's response."""
    token = csrf_token(client.get("/web/login").get_data(as_text=True))
    query = {"next": next_path} if next_path is not None else {}
    return client.post("/web/login", query_string=query,
                       data={"login": login, "password": password, "csrf_token": token})


def item_count(instance):
    return scalar(instance, "SELECT count(*) FROM base_thing_item")


# -- a real server process ----------------------------------------------------------------


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


