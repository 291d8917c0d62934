"""The admin pages through Flask's test client, CSRF protection on, as a browser uses them."""
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import inspect, text
from werkzeug.test import Client

from core.web import create_app
from core.web.admin import local_path
from core.web.reloader import ReloadingApp
from core.web.users import set_password
from tests.support import (
    ADMIN_LOGIN,
    csrf_token,
    input_value,
    is_checked,
    post_form,
    scalar,
    signed_in_client,
    table_row,
    text_of,
)
from tests.support import sign_in as session_of
from tests.web.web_helpers import sign_in

SETTINGS = "/web/settings/base_thing.item/1"


def stored_parameter(instance, key):
    return scalar(instance, "SELECT value FROM core_parameter WHERE key = :key", key=key)


def stored_settings(instance, record_id=1):
    """{field: (value, owning addon)} stored for one base_thing.item record."""
    with instance.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT field, value, addon FROM core_record_setting "
            "WHERE form = 'base_thing.item' AND record_id = :id"), {"id": record_id})
        return {field: (value, addon) for field, value, addon in rows}


# -- signing in ---------------------------------------------------------------------------------

def test_an_admin_page_sends_a_visitor_who_is_not_signed_in_to_the_login_page(anonymous):
    response = anonymous.get("/web/apps")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/web/login"
    assert parse_qs(location.query)["next"][0].startswith("/web/apps")


def test_the_login_page_says_how_to_make_an_account_only_when_there_is_none(instance):
    from tests.support import testing_app
    nobody = testing_app(instance).test_client().get("/web/login").get_data(as_text=True)
    assert "core user add LOGIN" in nobody
    with instance.engine.begin() as connection:
        set_password(connection, "ann", "long enough")
    someone = testing_app(instance).test_client().get("/web/login").get_data(as_text=True)
    assert "core user add" not in someone


def test_the_login_page_is_open_to_everyone(anonymous):
    response = anonymous.get("/web/login")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="login"' in page and 'name="password"' in page
    assert csrf_token(page)


def test_login_with_a_wrong_login_or_password_is_refused(anonymous, admin_user, subtests):
    for login, password in [(ADMIN_LOGIN, "not-the-password"), (ADMIN_LOGIN, ""),
                            ("nobody", "password123"), ("", "")]:
        with subtests.test(login=login, password=password):
            response = sign_in(anonymous, login, password)
            assert response.status_code == 401
            assert "Wrong login or password." in text_of(response)
            assert anonymous.get("/web/apps").status_code == 302  # still not signed in


def test_repeated_failed_sign_ins_are_throttled_for_that_login(anonymous, admin_user):
    for _attempt in range(5):
        assert sign_in(anonymous, ADMIN_LOGIN, "guess").status_code == 401
    refused = sign_in(anonymous)  # even the right password waits now
    assert refused.status_code == 429
    assert f"Too many failed sign-ins for {ADMIN_LOGIN}: try again in" in text_of(refused)
    assert anonymous.get("/web/apps").status_code == 302
    assert sign_in(anonymous, "someone-else", "guess").status_code == 401  # other logins are free


def test_the_throttle_forgets_failures_after_its_window():
    from core.web.users import SignInThrottle
    now = [1000.0]
    throttle = SignInThrottle(limit=2, window=60, clock=lambda: now[0])
    throttle.failed("ann")
    throttle.failed("ann")
    assert throttle.wait_seconds("ann") == 61
    now[0] += 30
    assert throttle.wait_seconds("ann") == 31
    now[0] += 31
    assert throttle.wait_seconds("ann") == 0
    throttle.failed("ann")
    throttle.succeeded("ann")
    assert throttle.wait_seconds("ann") == 0


def test_login_with_the_right_password_opens_the_apps_page(anonymous, admin_user):
    response = sign_in(anonymous)
    assert response.status_code == 302
    assert response.headers["Location"] == "/web/apps"
    apps = anonymous.get("/web/apps")
    assert apps.status_code == 200
    assert "<h1>Apps</h1>" in apps.get_data(as_text=True)
    assert f"<span>{ADMIN_LOGIN}</span>" in apps.get_data(as_text=True)


def test_login_returns_to_the_page_that_asked_for_it(anonymous, admin_user):
    asked = anonymous.get("/web/parameters?debug=1")
    next_path = parse_qs(urlsplit(asked.headers["Location"]).query)["next"][0]
    response = sign_in(anonymous, next_path=next_path)
    assert response.headers["Location"] == "/web/parameters?debug=1"


ELSEWHERE = [
    "//evil.example",
    "//evil.example/web/apps",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "/\\evil.example",       # browsers read a backslash as a slash
    "\\/evil.example",
    "/\t/evil.example",      # ... and drop tabs and newlines
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "evil.example",
    "",
    None,
]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_a_next_target_that_a_browser_would_read_as_another_site_is_not_local(target):
    assert local_path(target) is None


@pytest.mark.parametrize("target", ["/web/apps", "/web/parameters?debug=1",
                                    "/web/settings/base_thing.item/1?x=//y"])
def test_a_next_target_on_this_site_is_kept(target):
    assert local_path(target) == target


def test_login_never_redirects_to_another_site(anonymous, admin_user, subtests):
    for next_path in ["//evil.example", "/\t/evil.example", "/\n/evil.example"]:
        with subtests.test(next_path=next_path):
            response = sign_in(anonymous, next_path=next_path)
            assert response.status_code == 302
            assert response.headers["Location"] == "/web/apps"


def test_a_login_without_the_csrf_token_is_refused(anonymous, admin_user):
    response = anonymous.post("/web/login", data={"login": ADMIN_LOGIN, "password": "password123"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert anonymous.get("/web/apps").status_code == 302


def test_a_nul_character_in_a_form_field_or_query_is_a_400(anonymous, admin_user):
    """PostgreSQL text cannot hold a NUL: it is refused before any page reads the field."""
    response = post_form(anonymous, "/web/login", {"login": "ad\x00min", "password": "x"})
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    assert anonymous.get("/web/login?next=%00").status_code == 400


def test_a_form_posted_with_a_missing_or_forged_csrf_token_is_refused(admin_client, instance):
    assert admin_client.post("/web/apps/base_thing/install").status_code == 400
    forged = admin_client.post("/web/apps/base_thing/install", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert "base_thing" not in instance.installed()


def set_cookie_stamp(client, **values):
    with client.session_transaction() as cookie:
        cookie.update(values)


def cookie_stamp(client, key):
    with client.session_transaction() as cookie:
        return cookie.get(key)


def test_a_session_unused_for_longer_than_the_idle_limit_ends(admin_client, instance,
                                                              set_parameter, make_app):
    set_parameter("core.session_idle_seconds", 600)
    client = signed_in_client(make_app(), instance)
    set_cookie_stamp(client, seen=int(time.time()) - 590)
    assert client.get("/web/apps").status_code == 200
    # Used: its last use was renewed in the cookie the answer carried.
    assert cookie_stamp(client, "seen") >= int(time.time()) - 5
    set_cookie_stamp(client, seen=int(time.time()) - 601)
    assert client.get("/web/apps").status_code == 302  # to the login page
    # A stamp from the future is not believed either; nor a cookie without one.
    set_cookie_stamp(client, seen=int(time.time()) + 3600)
    assert client.get("/web/apps").status_code == 302
    with client.session_transaction() as cookie:
        cookie.pop("seen")
    assert client.get("/web/apps").status_code == 302


def test_a_session_older_than_the_absolute_limit_ends_however_active(
        admin_client, instance, set_parameter, make_app):
    set_parameter("core.session_max_seconds", 3600)
    client = signed_in_client(make_app(), instance)
    assert client.get("/web/apps").status_code == 200
    with instance.engine.begin() as connection:
        connection.execute(text("UPDATE core_session SET created_at = :when"),
                           {"when": datetime.now(timezone.utc) - timedelta(seconds=3601)})
    assert client.get("/web/apps").status_code == 302
    # The POS routes' cookie check is the same check.
    assert client.get("/web/health").status_code == 200


def test_a_password_change_ends_every_session_of_that_user_only(anonymous, instance,
                                                                admin_user, app):
    with instance.engine.begin() as connection:
        set_password(connection, "other", "password456")
    other_id = scalar(instance, "SELECT id FROM core_user WHERE login = 'other'")
    admin_id = scalar(instance, "SELECT id FROM core_user WHERE login = :login",
                      login=ADMIN_LOGIN)
    first, second = (session_of(app.test_client(), instance, admin_id) for _ in range(2))
    other = session_of(app.test_client(), instance, other_id)
    with instance.engine.begin() as connection:
        set_password(connection, ADMIN_LOGIN, "password123")  # the same password, a new hash
    assert first.get("/web/apps").status_code == 302
    assert second.get("/web/apps").status_code == 302
    assert other.get("/web/apps").status_code == 200
    assert session_of(app.test_client(), instance, admin_id).get("/web/apps").status_code == 200


def test_signing_out_ends_the_session(admin_client):
    response = post_form(admin_client, "/web/logout", page="/web/apps")
    assert response.status_code == 302
    assert response.headers["Location"] == "/web/login"
    assert admin_client.get("/web/apps").status_code == 302


def test_signing_out_without_the_csrf_token_is_refused(admin_client):
    assert admin_client.post("/web/logout").status_code == 400
    assert admin_client.get("/web/apps").status_code == 200


# -- Apps ----------------------------------------------------------------------------------

def test_the_apps_page_lists_every_available_addon_with_its_state(instance, make_app, signed_in):
    instance.install(["other_thing"])
    client = signed_in(make_app().test_client())
    page = client.get("/web/apps").get_data(as_text=True)
    states = {name: table_row(page, f"addon-{name}")[3] for name in instance.catalog.addons}
    assert states == {"auto_bridge": "Not installed", "base_thing": "Not installed",
                      "broken_migration": "Not installed", "child_thing": "Not installed",
                      "other_thing": "Installed"}
    name, summary, depends, _state, _action = table_row(page, "addon-child_thing")
    assert name == "Child thing child_thing 1.0.0"
    assert summary == "Depends on base_thing; its table points at base_thing's"
    assert depends == "base_thing"


def test_installing_an_addon_from_the_apps_page_installs_it(admin_client, instance):
    response = post_form(admin_client, "/web/apps/base_thing/install", page="/web/apps")
    assert response.status_code == 302
    assert response.headers["Location"] == "/web/apps"
    assert "base_thing" in instance.installed()
    assert "base_thing_item" in inspect(instance.engine).get_table_names()
    page = admin_client.get("/web/apps")
    assert "Installed: base_thing." in text_of(page)
    assert table_row(page.get_data(as_text=True), "addon-base_thing")[3] == "Installed"


def test_installing_an_addon_also_installs_the_addons_it_depends_on(admin_client, instance):
    post_form(admin_client, "/web/apps/child_thing/install", page="/web/apps")
    assert set(instance.installed()) == {"base_thing", "child_thing"}
    assert "Installed: base_thing, child_thing." in text_of(admin_client.get("/web/apps"))


def test_installing_an_unknown_addon_shows_an_error_and_installs_nothing(admin_client, instance):
    post_form(admin_client, "/web/apps/no_such_addon/install", page="/web/apps")
    page = text_of(admin_client.get("/web/apps"))
    assert 'class="flash error"' in page and "no_such_addon" in page
    assert instance.installed() == {}


def test_a_failed_install_is_reported_and_rolled_back(admin_client, instance):
    post_form(admin_client, "/web/apps/broken_migration/install", page="/web/apps")
    page = text_of(admin_client.get("/web/apps"))
    assert "install of 'broken_migration' failed and was rolled back" in page
    assert set(instance.installed()) == {"base_thing"}  # its dependency went in first
    assert "broken_migration_half" not in inspect(instance.engine).get_table_names()


def test_the_uninstall_page_lists_every_addon_that_would_be_removed(instance, make_app,
                                                                     signed_in):
    instance.install(["child_thing"])
    client = signed_in(make_app().test_client())
    response = client.get("/web/apps/base_thing/uninstall")
    assert response.status_code == 200
    page = text_of(response)
    assert "<li><code>child_thing</code></li><li><code>base_thing</code></li>" in page
    assert "Uninstall 2 addons" in page
    assert "drops their tables and settings" in page
    assert set(instance.installed()) == {"base_thing", "child_thing"}  # asking changes nothing


def test_confirming_the_uninstall_removes_the_addon_and_its_dependents(instance, make_app,
                                                                       signed_in):
    instance.install(["child_thing"])
    client = signed_in(make_app().test_client())
    response = post_form(client, "/web/apps/base_thing/uninstall")
    assert response.status_code == 302
    assert instance.installed() == {}
    tables = inspect(instance.engine).get_table_names()
    assert "base_thing_item" not in tables and "child_thing_note" not in tables
    assert "Uninstalled: child_thing, base_thing." in text_of(client.get("/web/apps"))


def test_uninstalling_an_addon_that_is_not_installed_says_so(admin_client, instance):
    response = admin_client.get("/web/apps/base_thing/uninstall")
    assert response.status_code == 302
    assert "addon 'base_thing' is not installed" in text_of(admin_client.get("/web/apps"))


# -- System Parameters (developer mode) ------------------------------------------------------

def test_system_parameters_are_hidden_outside_developer_mode(admin_client, subtests):
    for path in ["/web/parameters", "/web/parameters/edit",
                 "/web/parameters/edit?key=core.max_request_bytes", "/web/parameters?debug=0"]:
        with subtests.test(path=path):
            response = admin_client.get(path)
            assert response.status_code == 404
            page = text_of(response)
            assert "Developer mode needed" in page
            assert "System parameters are technical settings." in page
            assert f'{path.split("?")[0]}?debug=1</a>' in page  # a link to the same page


def test_a_parameter_cannot_be_changed_outside_developer_mode(admin_client, instance):
    response = post_form(admin_client, "/web/parameters/edit",
                         {"key": "core.max_request_bytes", "value": "2048"}, page="/web/apps")
    assert response.status_code == 404
    assert stored_parameter(instance, "core.max_request_bytes") == "1048576"


def test_system_parameters_in_developer_mode_list_the_declared_keys(admin_client):
    response = admin_client.get("/web/parameters?debug=1")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    key, value, value_type, addon, description = table_row(page, "param-core.max_request_bytes")
    assert (key, value, value_type, addon) == ("core.max_request_bytes", "1048576", "int", "core")
    assert "413" in description


def test_the_secret_key_is_never_shown(admin_client, instance):
    secret = stored_parameter(instance, "core.secret_key")
    assert len(secret) >= 32
    listing = admin_client.get("/web/parameters?debug=1").get_data(as_text=True)
    assert table_row(listing, "param-core.secret_key")[1] == "••••••"
    form = admin_client.get("/web/parameters/edit?key=core.secret_key&debug=1")
    assert form.status_code == 200
    assert input_value(form.get_data(as_text=True), "value") == ""
    assert secret not in listing and secret not in form.get_data(as_text=True)


def test_the_parameters_of_an_installed_addon_are_listed_with_its_name(instance, make_app,
                                                                         signed_in):
    instance.install(["base_thing"])
    client = signed_in(make_app().test_client())
    page = client.get("/web/parameters?debug=1").get_data(as_text=True)
    assert table_row(page, "param-base_thing.greeting")[:4] == [
        "base_thing.greeting", "hello", "str", "base_thing"]


def test_the_create_form_offers_the_declared_keys(admin_client):
    response = admin_client.get("/web/parameters/edit?debug=1")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Create a system parameter" in page
    assert '<option value="core.max_request_bytes">' in page


def test_creating_a_parameter_stores_its_value(admin_client, instance):
    response = post_form(admin_client, "/web/parameters/edit?debug=1",
                         {"key": "core.max_request_bytes", "value": "2048"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/web/parameters?debug=1"
    assert stored_parameter(instance, "core.max_request_bytes") == "2048"
    listing = admin_client.get("/web/parameters?debug=1").get_data(as_text=True)
    assert "Saved core.max_request_bytes." in listing
    assert table_row(listing, "param-core.max_request_bytes")[1] == "2048"


def test_editing_a_parameter_shows_and_replaces_its_current_value(admin_client, instance):
    path = "/web/parameters/edit?key=core.max_request_bytes&debug=1"
    form = admin_client.get(path).get_data(as_text=True)
    assert input_value(form, "value") == "1048576"
    assert input_value(form, "key") == "core.max_request_bytes"  # a hidden input: fixed key
    post_form(admin_client, path, {"key": "core.max_request_bytes", "value": " 4096 "})
    assert stored_parameter(instance, "core.max_request_bytes") == "4096"
    assert input_value(admin_client.get(path).get_data(as_text=True), "value") == "4096"


def test_a_parameter_value_of_the_wrong_type_is_refused_and_nothing_is_stored(admin_client,
                                                                               instance):
    response = post_form(admin_client, "/web/parameters/edit?debug=1",
                         {"key": "core.max_request_bytes", "value": "lots"})
    assert response.status_code == 400
    page = text_of(response)
    assert "core.max_request_bytes: 'lots' is not a whole number" in page
    assert input_value(response.get_data(as_text=True), "value") == "lots"  # kept to fix
    assert stored_parameter(instance, "core.max_request_bytes") == "1048576"


def test_an_undeclared_parameter_key_is_refused(admin_client, instance):
    response = post_form(admin_client, "/web/parameters/edit?debug=1",
                         {"key": "core.no_such_key", "value": "1"})
    assert response.status_code == 400
    assert "unknown system parameter 'core.no_such_key'" in text_of(response)
    assert stored_parameter(instance, "core.no_such_key") is None


# -- Record settings: config fields several addons add to one form ----------------------------

@pytest.fixture
def settings_client(instance, make_app, signed_in):
    """Signed in, with child_thing (and so base_thing) installed before the app was built."""
    instance.install(["child_thing"])
    client = signed_in(make_app().test_client())
    return client


def test_the_settings_form_shows_the_fields_of_every_installed_addon(settings_client):
    response = settings_client.get(SETTINGS)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for label in ("Nickname *", "Check every (seconds)", "Say it loudly"):  # base, base, child
        assert label in page
    assert input_value(page, "nickname") == "thing"  # the declared defaults
    assert input_value(page, "check_every") == "60"
    assert not is_checked(page, "loud")


def test_a_form_no_addon_extends_has_no_settings_page(settings_client):
    assert settings_client.get("/web/settings/no_such.form/1").status_code == 404


def test_a_wrong_number_in_the_settings_is_refused_and_nothing_is_written(
        settings_client, instance, subtests):
    for check_every, message in [("abc", "'abc' is not a whole number"),
                                 ("99999", "must be at most 3600"),
                                 ("-1", "must be at least 0"),
                                 ("1.5", "'1.5' is not a whole number")]:
        with subtests.test(check_every=check_every):
            response = post_form(settings_client, SETTINGS,
                                 {"nickname": "Bob", "check_every": check_every, "loud": "1"})
            assert response.status_code == 400
            page = text_of(response)
            assert "Some fields need attention." in page
            assert (f'<div class="error" id="error-check_every" role="alert">{message}</div>'
                    in page)
            assert input_value(response.get_data(as_text=True), "check_every") == check_every
            assert input_value(response.get_data(as_text=True), "nickname") == "Bob"
    assert stored_settings(instance) == {}


def test_a_required_setting_left_empty_is_refused(settings_client, instance):
    response = post_form(settings_client, SETTINGS, {"nickname": "  ", "check_every": "5"})
    assert response.status_code == 400
    assert "this field is required" in text_of(response)
    assert stored_settings(instance) == {}


def test_valid_settings_are_saved_and_read_back(settings_client, instance):
    response = post_form(settings_client, SETTINGS,
                         {"nickname": "Bob", "check_every": "120", "loud": "1"})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == SETTINGS
    assert stored_settings(instance) == {"nickname": ("Bob", "base_thing"),
                                         "check_every": ("120", "base_thing"),
                                         "loud": ("1", "child_thing")}
    page = settings_client.get(SETTINGS).get_data(as_text=True)
    assert "Settings saved." in page
    assert input_value(page, "nickname") == "Bob"
    assert input_value(page, "check_every") == "120"
    assert is_checked(page, "loud")


def test_an_unticked_checkbox_is_saved_as_false(settings_client, instance):
    post_form(settings_client, SETTINGS, {"nickname": "Bob", "check_every": "1", "loud": "1"})
    post_form(settings_client, SETTINGS, {"nickname": "Bob", "check_every": "1"})
    assert stored_settings(instance)["loud"] == ("0", "child_thing")
    assert not is_checked(settings_client.get(SETTINGS).get_data(as_text=True), "loud")


def test_the_settings_of_one_record_do_not_touch_another(settings_client, instance):
    post_form(settings_client, SETTINGS, {"nickname": "Bob", "check_every": "120"})
    other = settings_client.get("/web/settings/base_thing.item/2").get_data(as_text=True)
    assert input_value(other, "nickname") == "thing"
    assert stored_settings(instance, record_id=2) == {}


def test_uninstalling_an_addon_removes_the_settings_it_owns(settings_client, instance,
                                                            make_app, signed_in):
    post_form(settings_client, SETTINGS, {"nickname": "Bob", "check_every": "120", "loud": "1"})
    post_form(settings_client, "/web/apps/child_thing/uninstall")
    assert set(instance.installed()) == {"base_thing"}
    assert stored_settings(instance) == {"nickname": ("Bob", "base_thing"),
                                         "check_every": ("120", "base_thing")}
    client = signed_in(make_app().test_client())  # the app as the server rebuilds it
    page = client.get(SETTINGS).get_data(as_text=True)
    assert "Say it loudly" not in page
    assert input_value(page, "nickname") == "Bob"


# -- The server's app follows what the admin pages change -----------------------------------

@pytest.fixture
def reloading_client(instance, admin_user):
    """A client of the app as `core serve` runs it, whose periodic check never comes due."""
    client = Client(ReloadingApp(instance, lambda inst: create_app(instance=inst),
                                 interval=3600))
    assert sign_in(client).status_code == 302
    return client


def test_an_addon_installed_from_the_apps_page_is_served_at_once(reloading_client):
    assert reloading_client.get(SETTINGS).status_code == 404
    post_form(reloading_client, "/web/apps/base_thing/install", page="/web/apps")
    assert reloading_client.get("/base_thing/items").status_code == 200
    assert "Nickname" in reloading_client.get(SETTINGS).get_data(as_text=True)


def test_an_addon_uninstalled_from_the_apps_page_stops_being_served_at_once(instance,
                                                                           admin_user):
    instance.install(["base_thing"])
    client = Client(ReloadingApp(instance, lambda inst: create_app(instance=inst),
                                 interval=3600))
    sign_in(client)
    assert client.get("/base_thing/items").status_code == 200
    post_form(client, "/web/apps/base_thing/uninstall")
    assert client.get("/base_thing/items").status_code == 404


def test_a_new_body_size_limit_applies_from_the_next_request(instance, admin_user):
    instance.install(["base_thing"])
    client = Client(ReloadingApp(instance, lambda inst: create_app(instance=inst),
                                 interval=3600))
    sign_in(client)
    post_form(client, "/web/parameters/edit?debug=1",
              {"key": "core.max_request_bytes", "value": "100"})
    response = client.post("/base_thing/items", json={"label": "x" * 200})
    assert response.status_code == 413
    assert "100 bytes" in response.json["error"]["message"]
