"""Two main instances, A and C, sharing one separate sync server, set up as docs/deploy.md says
(each main's POS token key trusted on the sync server, no secret shared): a token opens one till
of one instance, nothing else."""
import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import text
from sqlalchemy import update as sql_update

from addons.point_of_sale.tokens import SALT, issue_config_token, issue_token
from addons.pos_longpolling.bus import pos_channel
from addons.pos_multi_session.membership import set_membership
from addons.pos_multi_session.models import MultiSession
from tests.support import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    get_parameter,
    installed_instance,
    post_form,
    set_parameter,
)
from tests.support import testing_app as app_of

URL = "/pos_multi_session_sync/update"


@pytest.fixture
def shops(db_url, other_db_url, third_db_url):
    """(A, C, sync): two main instances with their demo multi-session 1 and configs 1, 2, and
    the sync server both use, trusting each one's POS token key."""
    a = installed_instance(db_url, ["pos_multi_session"])
    c = installed_instance(third_db_url, ["pos_multi_session"])
    sync = installed_instance(other_db_url, ["pos_multi_session_sync"])
    set_parameter(sync, "point_of_sale.trusted_token_keys", " ".join(
        f"{main.db_name}={get_parameter(main, 'point_of_sale.token_key')}" for main in (a, c)))
    yield a, c, sync
    for instance in (a, c, sync):
        instance.engine.dispose()


def token(instance, config_id):
    """The header of the token the instance's POS page gets for `config_id`."""
    with instance.engine.connect() as connection:
        value = issue_config_token(connection, instance, instance.plugin_manager(), config_id)
    return {"Authorization": f"Bearer {value}"}


def update(client, headers, dbname, pos_id=1, multi_session_id=1, run_id=1, action="sync_all",
           **data):
    if action == "sync_all":
        data.setdefault("immediate_rerendering", True)
    return client.post(URL, headers=headers, json={
        "multi_session_id": multi_session_id, "dbname": dbname, "user_ID": 1,
        "message": {"action": action, "session_id": 1, "login_number": 1,
                    "data": {"pos_id": pos_id, "run_ID": run_id, **data}}})


def new_order(uid, pos_id=1, run_id=1):
    return {"action": "update_order", "pos_id": pos_id, "run_id": run_id, "uid": uid,
            "sequence_number": 1, "revision_ID": 1, "new_order": True, "nonce": uid,
            "lines": [{"uid": f"{uid}-1", "product_id": 1, "qty": 1, "price_unit": "1.80"}]}


def error_code(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]["code"]


def shared_orders(client, headers, dbname):
    answer = update(client, headers, dbname)
    assert answer.status_code == 200, answer.get_json()
    return [message["data"]["uid"] for message in answer.get_json()["data"]["orders"]]


def test_a_token_of_one_instance_never_reaches_another_instances_orders(shops):
    a, c, sync = shops
    client = app_of(sync).test_client()
    a_till, c_till = token(a, 1), token(c, 1)
    assert update(client, c_till, c.db_name, **new_order("c-order")).status_code == 200
    assert update(client, a_till, a.db_name, **new_order("a-order")).status_code == 200
    # A's config 1 names C's database: refused, whatever the action.
    for action in ({}, new_order("c-order"), {"action": "remove_order", "uid": "c-order",
                                              "revision_ID": 1, "finalized": True}):
        assert error_code(update(client, a_till, c.db_name, **action), 403) == "forbidden_db"
    assert shared_orders(client, c_till, c.db_name) == ["c-order"]
    assert shared_orders(client, a_till, a.db_name) == ["a-order"]
    # Nor C's channels, nor a PING on them.
    for channel in (pos_channel(c.db_name, "pos.multi_session", 1),
                    pos_channel(c.db_name, "pos.longpolling", 1)):
        answer = client.post("/longpolling/poll", headers=a_till,
                             json={"channels": [channel], "last": 0, "options": {"timeout": 0}})
        assert error_code(answer, 403) == "forbidden_channel"
    answer = client.post("/pos_longpolling/update", headers=a_till,
                         json={"pos_id": 1, "message": "PING", "db_name": c.db_name})
    assert error_code(answer, 403) == "forbidden_db"
    own = client.post("/longpolling/poll", headers=a_till, json={
        "channels": [pos_channel(a.db_name, "pos.multi_session", 1)], "last": 0,
        "options": {"timeout": 0}})
    assert own.status_code == 200


def test_a_token_opens_only_the_multi_sessions_its_config_belongs_to(shops):
    a, _, sync = shops
    client = app_of(sync).test_client()
    refused = update(client, token(a, 1), a.db_name, multi_session_id=2)
    assert error_code(refused, 403) == "forbidden_multi_session"
    assert "does not belong to multi-session 2" in refused.get_json()["error"]["message"]
    # A config taken out of every multi-session gets tokens without one.
    with a.engine.begin() as connection:
        set_membership(connection, 2, 0)
    assert error_code(update(client, token(a, 2), a.db_name, pos_id=2),
                      403) == "forbidden_multi_session"


def test_a_token_loses_its_multi_session_when_the_config_leaves_it(shops):
    """On the instance that issued it (the sync server in the same instance), a token's
    multi-session claim is checked against the config's current membership: a till's token
    kept opening the shared orders after its config had left the multi-session."""
    a, _, _ = shops
    client = app_of(a).test_client()
    issued = token(a, 2)
    assert update(client, issued, a.db_name, **new_order("bar-1", pos_id=2)
                  ).status_code == 200
    with a.engine.begin() as connection:
        set_membership(connection, 2, 0)
    refused = update(client, issued, a.db_name, pos_id=2)
    assert error_code(refused, 403) == "forbidden_multi_session"
    assert "no longer" in refused.get_json()["error"]["message"]
    # Back in it: the same token works again; a switched-off multi-session refuses it too.
    with a.engine.begin() as connection:
        set_membership(connection, 2, 1)
    assert update(client, issued, a.db_name, pos_id=2).status_code == 200
    with a.engine.begin() as connection:
        connection.execute(sql_update(MultiSession).where(MultiSession.id == 1)
                           .values(active=False))
    assert error_code(update(client, issued, a.db_name, pos_id=2),
                      403) == "forbidden_multi_session"
    # Config 1's token, still a member, is not touched by config 2 leaving.
    with a.engine.begin() as connection:
        connection.execute(sql_update(MultiSession).where(MultiSession.id == 1)
                           .values(active=True))
    assert update(client, token(a, 1), a.db_name).status_code == 200


def test_a_till_cannot_move_the_run_beyond_what_its_instance_signed(shops):
    a, c, sync = shops
    client = app_of(sync).test_client()
    c_till = token(c, 1)
    assert update(client, c_till, c.db_name, **new_order("c-order")).status_code == 200
    for run in (2, 2147483647):
        refused = update(client, token(a, 1), a.db_name, run_id=run)
        assert error_code(refused, 403) == "forbidden_run"
        assert "reload the till" in refused.get_json()["error"]["message"]
    # Nobody's run moved: C's tills are not outdated, A's first run is intact.
    assert shared_orders(client, c_till, c.db_name) == ["c-order"]
    assert shared_orders(client, token(a, 1), a.db_name) == []
    # When the main instance ends the run, its tokens say so and the run moves on.
    with a.engine.begin() as connection:
        connection.execute(sql_update(MultiSession).values(run_id=3))
    assert update(client, token(a, 1), a.db_name, run_id=3).status_code == 200
    assert update(client, token(a, 1), a.db_name, run_id=2).get_json()["action"] == "outdated_run"


def test_without_a_token_a_run_moves_one_step_at_most(shops):
    _, _, sync = shops
    set_parameter(sync, "pos_longpolling.allow_public", "1")
    client = app_of(sync).test_client()
    assert error_code(update(client, {}, "anyshop", run_id=3), 403) == "forbidden_run"
    assert update(client, {}, "anyshop", run_id=2).status_code == 200
    assert error_code(update(client, {}, "anyshop", run_id=4), 403) == "forbidden_run"


def test_tokens_the_sync_server_cannot_trust_are_refused_with_a_reason(shops):
    a, c, sync = shops
    client = app_of(sync).test_client()
    key = get_parameter(a, "point_of_sale.token_key")
    cases = {
        # Instance C's name, signed with A's key: A cannot speak for C.
        "not signed with the POS token key of": issue_token(key, c.db_name, 1, {1: 1}),
        "does not trust POS tokens of instance 'elsewhere'": issue_token(key, "elsewhere", 1),
        # The form issued before this version (signed with core.secret_key): reload the till.
        "reload the till": URLSafeTimedSerializer(
            get_parameter(a, "core.secret_key"), salt="point_of_sale.token").dumps(
                {"config_id": 1}),
    }
    for reason, value in cases.items():
        answer = update(client, {"Authorization": f"Bearer {value}"}, c.db_name)
        assert error_code(answer, 401) == "invalid_token"
        assert reason in answer.get_json()["error"]["message"]


def test_a_token_whose_config_id_is_not_a_whole_number_is_refused(shops):
    """Signed with the right key, but `config_id: true` (which Python reads as 1) and the like."""
    a, _, sync = shops
    sign = URLSafeTimedSerializer(get_parameter(a, "point_of_sale.token_key"), salt=SALT).dumps
    for claims in ({"config_id": True}, {"config_id": "1"}, {"config_id": 1.0},
                   {"config_id": 0}, {"config_id": None}, {"multi_sessions": {"1": True}},
                   {"multi_sessions": [1]}, {"multi_sessions": {"²": 1}}):
        forged = sign({"v": 2, "db": a.db_name, "config_id": 1, "multi_sessions": {"1": 1},
                       **claims})
        for app in (app_of(sync), app_of(a)):
            answer = app.test_client().get("/pos/config/1/data",
                                           headers={"Authorization": f"Bearer {forged}"})
            assert error_code(answer, 401) == "invalid_token"


def test_a_token_opens_the_pos_routes_of_its_own_instance_only(shops):
    a, c, sync = shops
    headers = token(a, 1)
    assert app_of(a).test_client().get("/pos/config/1/data", headers=headers).status_code \
        == 200
    # The sync server trusts A's tokens for A's tills, not for its own POS routes.
    on_sync = app_of(sync).test_client().get("/pos/config/1/data", headers=headers)
    assert error_code(on_sync, 403) == "foreign_token"
    # C does not trust A at all.
    on_c = app_of(c).test_client().get("/pos/config/1/data", headers=headers)
    assert error_code(on_c, 401) == "invalid_token"


# -- admin sessions: valid on the instance that issued them only --------------------------------

@pytest.fixture
def main_and_sync(db_url, other_db_url):
    """A main instance and a separate sync server, each with its own user 1 (same login) and own
    core.secret_key (the sync server trusts the main's POS token key only)."""
    main = installed_instance(db_url, ["pos_multi_session"])
    sync = installed_instance(other_db_url, ["pos_multi_session_sync"])
    set_parameter(sync, "point_of_sale.trusted_token_keys",
                  f"{main.db_name}={get_parameter(main, 'point_of_sale.token_key')}")
    yield main, sync
    main.engine.dispose()
    sync.engine.dispose()


# What nginx adds, and the Referer browsers send over HTTPS (Flask-WTF checks it there).
HTTPS_BEHIND_NGINX = {"X-Forwarded-Proto": "https", "Referer": "https://localhost/web/login"}


def signed_in_through_the_form(app, login=ADMIN_LOGIN, headers=None):
    client = app.test_client()
    answer = post_form(client, "/web/login", {"login": login, "password": ADMIN_PASSWORD},
                       headers=headers)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client, answer


def session_cookie(client):
    return client.get_cookie("session").value


def with_cookie(app, value):
    client = app.test_client()
    client.set_cookie("session", value)
    return client


def is_signed_in(client):
    return client.get("/web/apps").status_code == 200


@pytest.mark.parametrize("shared_secret", [False, True], ids=["own secrets", "old shared secret"])
def test_a_cookie_of_one_instance_is_refused_by_the_other(main_and_sync, shared_secret):
    """Even with the core.secret_key an old set-up shared (before the upgrade steps)."""
    main, sync = main_and_sync
    if shared_secret:
        set_parameter(sync, "core.secret_key", get_parameter(main, "core.secret_key"))
    main_app, sync_app = app_of(main), app_of(sync)
    on_sync, _ = signed_in_through_the_form(sync_app)
    assert is_signed_in(on_sync)
    stolen = with_cookie(main_app, session_cookie(on_sync))
    assert not is_signed_in(stolen)
    assert stolen.get("/pos/config/1/data").status_code == 401
    assert stolen.get("/pos/ui/1").status_code == 302  # to the sign-in page
    on_main, _ = signed_in_through_the_form(main_app)
    assert not is_signed_in(with_cookie(sync_app, session_cookie(on_main)))


def test_signing_out_kills_a_copied_cookie(main_and_sync):
    main, _ = main_and_sync
    app = app_of(main)
    client, _ = signed_in_through_the_form(app)
    other_device, copy = client, with_cookie(app, session_cookie(client))
    assert is_signed_in(copy) and copy.get("/pos/config/1/data").status_code == 200
    second, _ = signed_in_through_the_form(app, ADMIN_LOGIN)  # another session of the user
    assert post_form(other_device, "/web/logout", page="/web/apps").status_code == 302
    assert not is_signed_in(copy)
    assert copy.get("/pos/config/1/data").status_code == 401
    assert not is_signed_in(other_device)
    assert is_signed_in(second)  # signing out ends that session only


def test_cookies_are_secure_behind_a_proxy_saying_https(main_and_sync):
    main, _ = main_and_sync
    app = app_of(main)
    _, plain = signed_in_through_the_form(app)
    assert "Secure" not in plain.headers["Set-Cookie"]
    assert "HttpOnly" in plain.headers["Set-Cookie"]
    _, behind_nginx = signed_in_through_the_form(app, ADMIN_LOGIN,
                                                 HTTPS_BEHIND_NGINX)
    assert "; Secure" in behind_nginx.headers["Set-Cookie"]
    # Reached directly (core.proxy_count = 0), the header is not believed.
    set_parameter(main, "core.proxy_count", "0")
    _, direct = signed_in_through_the_form(app_of(main), ADMIN_LOGIN,
                                           HTTPS_BEHIND_NGINX)
    assert "Secure" not in direct.headers["Set-Cookie"]


def as_before_this_version(instance):
    """Turn an instance back into one of the shared-secret set-up: no core_session table, no
    user roles, no POS token key, point_of_sale at its former version."""
    with instance.engine.begin() as connection:
        connection.execute(text("DROP TABLE core_session"))
        connection.execute(text("ALTER TABLE core_user DROP COLUMN role"))
        connection.execute(text("UPDATE alembic_version SET version_num = 'c0de00000001' "
                                "WHERE version_num LIKE 'c0de%'"))
        connection.execute(text("DELETE FROM core_parameter WHERE key LIKE 'point_of_sale.%'"))
        connection.execute(text("UPDATE core_addon SET version = '1.0.0' "
                                "WHERE name = 'point_of_sale'"))


def test_the_documented_upgrade_of_the_shared_secret_set_up_keeps_the_tills_working(
        main_and_sync):
    main, sync = main_and_sync
    for instance in (main, sync):
        as_before_this_version(instance)
    set_parameter(sync, "core.secret_key", get_parameter(main, "core.secret_key"))
    old_token = URLSafeTimedSerializer(get_parameter(main, "core.secret_key"),
                                       salt="point_of_sale.token").dumps({"config_id": 1})
    # docs/deploy.md, "Upgrading from the shared-secret set-up":
    for instance in (main, sync):
        instance.upgrade()
    main_key = get_parameter(main, "point_of_sale.token_key")
    assert len(main_key) == 64
    set_parameter(sync, "point_of_sale.trusted_token_keys", f"{main.db_name}={main_key}")
    set_parameter(sync, "core.secret_key", "a-fresh-secret-of-the-sync-server")
    with main.engine.begin() as connection:
        connection.execute(sql_update(MultiSession).values(sync_server="https://sync.example"))
    main_app, sync_app = app_of(main), app_of(sync)
    admin, _ = signed_in_through_the_form(main_app)
    page_token = admin.get("/pos/config/1/data").get_json()["multi_session"]["token"]
    sync_client = sync_app.test_client()
    answer = update(sync_client, {"Authorization": f"Bearer {page_token}"}, main.db_name,
                    **new_order("after-upgrade"))
    assert answer.status_code == 200 and answer.get_json()["action"] == "update_revision_ID"
    refused = update(sync_client, {"Authorization": f"Bearer {old_token}"}, main.db_name)
    assert error_code(refused, 401) == "invalid_token"
    assert "reload the till's page" in refused.get_json()["error"]["message"]
    assert not is_signed_in(with_cookie(sync_app, session_cookie(admin)))
