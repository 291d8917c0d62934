"""The till's central server address, changed by a manager of the till (its admin form, or
`core autonomous server-address URL`): checked, journaled with the old and the new address and
who changed it; a cashier, a stranger and a request without the form token change nothing, and
the synchroniser uses the new address from its next pass."""
import pytest
from sqlalchemy import select

from addons.point_of_sale import journal_events
from addons.pos_autonomous.till.models import Link
from addons.pos_autonomous.till.server_address import validated
from addons.pos_autonomous.till.synchroniser import Synchroniser
from core.errors import CoreError
from core.web.users import set_password
from tests.pos_autonomous.test_till_side import make_till
from tests.pos_autonomous.till_helpers import core
from tests.support import post_form, signed_in_client, text_of
from tests.support import testing_app as built_app

PAGE = "/web/pos_autonomous/"
FORM = PAGE + "server-address"
OLD = "http://127.0.0.1:9"  # make_till's address
HOSTILE = [
    ("", "give the central server's address"),
    ("   ", "give the central server's address"),
    ("central.example.com", "is not a web address"),
    ("ftp://central.example.com", "is not a web address"),
    ("javascript:alert(1)", "is not a web address"),
    ("http://", "is not a web address"),
    ("http://user:pass@central.example.com", "without a user, password"),
    ("https://central.example.com/?next=evil", "without a user, password, ?query"),
    ("https://central.example.com/#x", "#fragment"),
    ("http://central.example.com:99999", "the port must be a number"),
    ("http://central.example.com:port", "the port must be a number"),
    ("http://central example.com", "without spaces"),
    ("http://central.example.com/\x1b[2J", "without spaces"),
    ("https://" + "a" * 300 + ".com", "at most 255 characters"),
    ("https://cafés.example.com", "without spaces"),  # not ASCII: punycode it
]


def address_events(till):
    with till.engine.connect() as connection:
        return [event for event in journal_events(connection)
                if event["kind"] == "server_address_changed"]


def server_url(till):
    with till.engine.connect() as connection:
        return connection.scalar(select(Link.server_url))


@pytest.fixture
def till_with_staff(central, tmp_path):
    with central.engine.begin() as connection:
        set_password(connection, "cashier", "cashier-pass-1", "cashier")
        set_password(connection, "mona", "manager-pass-1", "manager")
    till = make_till(central, tmp_path, cashiers=["cashier", "mona"])
    yield till
    till.engine.dispose()


def test_a_manager_of_the_till_changes_the_address_journaled(till_with_staff):
    till = till_with_staff
    client = signed_in_client(built_app(till), till, "mona")
    page = text_of(client.get(PAGE))
    assert "Central server" in page and f'value="{OLD}"' in page
    answer = post_form(client, FORM, page=PAGE,
                       data={"server_url": "  https://central.example.com:8443/comptoir "})
    assert answer.status_code == 303
    assert "Server address changed from http://127.0.0.1:9 to " \
           "https://central.example.com:8443/comptoir" in text_of(client.get(PAGE))
    assert server_url(till) == "https://central.example.com:8443/comptoir"
    [event] = address_events(till)
    assert event["config_id"] == 1
    assert event["details"] == {"old": OLD, "new": "https://central.example.com:8443/comptoir",
                                "by": "mona"}
    post_form(client, FORM, page=PAGE, data={"server_url": server_url(till)})  # unchanged
    assert "The server address is already" in text_of(client.get(PAGE))
    assert len(address_events(till)) == 1  # nothing changed, nothing journaled

    synchroniser = Synchroniser(till)  # made before the change below: it follows at its pass
    post_form(client, FORM, page=PAGE, data={"server_url": "http://10.0.0.7:8069"})
    synchroniser.reload_settings()
    assert synchroniser.client.server_url == "http://10.0.0.7:8069"


def test_hostile_addresses_are_refused_in_words_and_nothing_changes(till_with_staff):
    till = till_with_staff
    client = signed_in_client(built_app(till), till, "mona")
    for raw, said in HOSTILE:
        answer = post_form(client, FORM, page=PAGE, data={"server_url": raw})
        assert answer.status_code == 303, raw
        page = text_of(client.get(PAGE))
        assert "Not saved" in page and said in page, (raw, said)
        with pytest.raises(CoreError, match=said.replace("?", r"\?")):
            validated(raw)
    nul = post_form(client, FORM, page=PAGE, data={"server_url": "http://a.example.com/\x00"})
    assert nul.status_code == 400  # the kernel refuses a NUL in a form field
    with pytest.raises(CoreError, match="without spaces"):
        validated("http://a.example.com/\x00")
    assert post_form(client, FORM, page=PAGE, data={}).status_code == 303  # no field at all
    assert "give the central server's address" in text_of(client.get(PAGE))
    assert server_url(till) == OLD and address_events(till) == []


def test_a_cashier_a_stranger_and_a_forged_form_change_nothing(till_with_staff):
    till = till_with_staff
    app = built_app(till)
    cashier = signed_in_client(app, till, "cashier")
    assert cashier.post(FORM, data={"server_url": "http://evil.example.com"}).status_code == 403
    assert cashier.post(PAGE + "test-central").status_code == 403  # Test connection: a manager's
    assert app.test_client().post(PAGE + "test-central").status_code in (302, 303, 400)
    stranger = app.test_client()
    assert stranger.post(FORM, data={"server_url": "http://evil.example.com"}).status_code in (
        302, 303, 400)
    manager = signed_in_client(app, till, "mona")  # a manager, without the form's token
    assert manager.post(FORM, data={"server_url": "http://evil.example.com"}).status_code == 400
    assert server_url(till) == OLD and address_events(till) == []


def test_the_central_instance_has_no_server_address_to_change(central):
    from tests.support import ADMIN_LOGIN
    admin = signed_in_client(built_app(central), central, ADMIN_LOGIN)
    post_form(admin, FORM, page=PAGE, data={"server_url": "http://central.example.com"})
    assert "the central server has no server address to change" in text_of(admin.get(PAGE))


def test_the_command_line_shows_and_changes_the_address_journaled(till_with_staff):
    till = till_with_staff
    assert core("--db", till.url, "autonomous", "server-address").stdout.strip() == OLD
    changed = core("--db", till.url, "autonomous", "server-address", "http://10.0.0.7:8069")
    assert "changed from http://127.0.0.1:9 to http://10.0.0.7:8069" in changed.stdout
    [event] = address_events(till)
    assert event["details"]["by"] == "command line"
    refused = core("--db", till.url, "autonomous", "server-address", "10.0.0.7", check=False)
    assert refused.returncode == 1 and "is not a web address" in refused.stderr
    assert server_url(till) == "http://10.0.0.7:8069"
