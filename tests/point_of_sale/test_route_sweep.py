"""One sweep of every route of every built-in addon (and the kernel's), as a visitor, as a cashier
and a manager of till 1, as an admin, and without the form token: nothing is reachable that the
caller should not reach.

The rules swept:
- an admin page (under /web) needs the role it declares (core.web.guard): a visitor is sent to
  sign in, a lower role gets 403, and a POST without the form token is refused (400) even to an
  admin; one that the role may open is not refused;
- a POS, bus or sync route answers a visitor 401 (or sends them to sign in), unless it is one of
  the few public ones listed below (static files, the sign-in page, the health check, ...);
- a cashier or manager of till 1 is refused (403) on anything of till 2, a cashier on a
  manager's decision (opening and closing a session).

Routes come from the app itself, so a route added tomorrow is swept too; the roles of admin
pages come from their declarations, not from this file.
"""
import re

import pytest
from sqlalchemy import text

from addons.point_of_sale.staff import set_allowed_configs
from core.addons import BUILTIN_ADDONS
from core.web.guard import PUBLIC, admin_routes, is_admin_path
from core.web.users import ROLES, role_allows, set_password
from tests.support import csrf_token, sign_in

# Every built-in addon: one added tomorrow is swept too.
EVERY_ADDON = sorted(path.parent.name for path in BUILTIN_ADDONS.glob("*/__manifest__.py"))
# Routes anyone may request: what a browser loads before signing in, and what checks itself.
# (and every addon's static files: `<prefix>/static/<path:filename>`).
PUBLIC_ROUTES = {"/favicon.ico", "/pos/sw.js", "/web/login", "/web/health"}
# What tills send the central instance with their till token (pos_autonomous): refused to every
# signed-in user as to visitors.
TILL_TOKEN_ROUTES = {"/pos_autonomous/pull", "/pos_autonomous/push", "/pos_autonomous/customers",
                     "/pos_autonomous/customers/<int:partner_id>",
                     "/pos_autonomous/customers/<int:partner_id>/delete",
                     "/pos_autonomous/recover", "/pos_autonomous/recover/skip",
                     "/pos_autonomous/hello"}
# The bus's WebSocket answers a request that is not a WebSocket upgrade 400 before anything else
# (its credentials are tested in tests/pos_longpolling/test_websocket.py).
NOT_HTTP = {"/longpolling/websocket"}
# Well-formed bodies, so that a refusal cannot hide behind a 400 about the body.
BODIES = {"/pos_longpolling/update": {"pos_id": 1, "message": "PING"},
          "/pos_autonomous/customers": {"values": {"name": "Sweep"}},
          "/pos_autonomous/customers/<int:partner_id>": {"values": {"name": "Sweep"}}}
# A manager's decisions on a till: a cashier is refused even on their own till.
MANAGER_POS_ROUTES = {"/pos/config/<int:config_id>/open-session",
                      "/pos/config/<int:config_id>/training",
                      "/pos/session/<int:session_id>/close"}
IDENTITIES = ["visitor", "cashier", "manager", "admin"]
# Said here rather than read from the declarations, so that a route declaring too low a role
# fails too: a cashier's admin pages, and what only an admin may touch.
CASHIER_ADMIN_PAGES = {"/web/", "/web/login", "/web/logout", "/web/health", "/web/language"}
ADMIN_ONLY = ("/web/apps", "/web/parameters", "/web/users", "/web/pos_autonomous")
# A till's own pages need a manager of that till there; on this central instance, an admin.
TILL_PAGES = {"/web/pos_autonomous/", "/web/pos_autonomous/synchroniser",
              "/web/pos_autonomous/recover", "/web/pos_autonomous/recovery",
              "/web/pos_autonomous/server-address", "/web/pos_autonomous/test-central"}


@pytest.fixture
def installed_addons():
    return EVERY_ADDON


@pytest.fixture
def sweep(app, addon_instance):
    from addons.point_of_sale.sessions import open_session
    clients = {"visitor": app.test_client()}
    with addon_instance.engine.begin() as connection:
        sessions = {1: open_session(connection, 1), 2: open_session(connection, 2)}
        for role in ("cashier", "manager"):
            set_password(connection, f"sweep_{role}", "secret-pass-1", role)
            user_id = connection.scalar(text("SELECT id FROM core_user WHERE login = :l"),
                                        {"l": f"sweep_{role}"})
            set_allowed_configs(connection, user_id, [1])
            clients[role] = user_id
        admin_id = connection.scalar(text("SELECT id FROM core_user WHERE role = 'admin'"))
    for role in ("cashier", "manager"):
        clients[role] = sign_in(app.test_client(), addon_instance, clients[role])
    clients["admin"] = sign_in(app.test_client(), addon_instance, admin_id)
    return app, clients, sessions


def path_of(rule, till, sessions):
    """The rule's path for till 1 or 2 (ids that exist where they name a till or session)."""
    values = {"config_id": till, "session_id": sessions[till], "name": "point_of_sale",
              "form": "pos.config", "filename": "missing.js", "uuid": "no-such-order",
              "table_name": "point_of_sale.product", "direction": "down"}

    def value(match):
        name = match.group(1).split(":")[-1]
        return str(values.get(name, 1))
    return re.sub(r"<([^>]+)>", value, rule)


def sent_to_sign_in(response):
    return response.status_code == 302 and "/web/login" in response.headers.get("Location", "")


def refused(response):
    return response.status_code in (401, 403) or sent_to_sign_in(response)


def test_every_route_as_every_role_and_without_the_form_token(sweep):
    app, clients, sessions = sweep
    roles = {rule: role for rule, _endpoint, _methods, role in admin_routes(app)}
    problems, counts = [], {"requests": 0, "refused": 0, "reached": 0}
    reached_admin = {identity: set() for identity in IDENTITIES}  # admin routes each reached

    def check(identity, method, path, should_reach, response, why):
        counts["requests"] += 1
        counts["reached" if not refused(response) else "refused"] += 1
        if is_admin_path(path) and not refused(response):
            reached_admin[identity].add((method, path))
        if should_reach == refused(response):
            problems.append(f"{identity} {method} {path}: {response.status_code} "
                            f"({'should reach' if should_reach else 'should be refused'}: {why})")

    rules = [r for r in app.url_map.iter_rules() if r.rule not in NOT_HTTP]
    for rule in rules:
        till_variants = [1, 2] if re.search(r"<int:(config|session)_id>", rule.rule) else [1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for till in till_variants:
                path = path_of(rule.rule, till, sessions)
                for identity in IDENTITIES:
                    client = clients[identity]
                    if is_admin_path(rule.rule):
                        needed = roles[rule.rule]
                        if rule.rule in TILL_PAGES and needed == "manager":
                            needed = "admin"
                        if rule.rule.startswith(ADMIN_ONLY) and needed != "admin" or (
                                needed in (PUBLIC, "cashier")
                                and rule.rule not in CASHIER_ADMIN_PAGES):
                            problems.append(f"{rule.rule} declares {needed}")
                        allowed = needed == PUBLIC or (
                            identity != "visitor" and role_allows(identity, needed))
                        why = f"needs {needed}"
                    else:
                        allowed = rule.rule in PUBLIC_ROUTES or rule.endpoint.endswith(
                            "static") or (
                            rule.rule not in TILL_TOKEN_ROUTES and identity == "admin") or (
                            identity in ("cashier", "manager") and till == 1
                            and rule.rule not in TILL_TOKEN_ROUTES
                            and not (identity == "cashier" and rule.rule in MANAGER_POS_ROUTES))
                        why = "POS access"
                    if method == "GET":
                        check(identity, method, path, allowed, client.get(path), why)
                        continue
                    # Without the form token: an admin page refuses every POST (400), whoever
                    # sends it; a JSON route ignores form tokens and answers by its own rule.
                    response = client.post(path, json=BODIES.get(rule.rule, {}))
                    if is_admin_path(rule.rule):
                        counts["requests"] += 1
                        if response.status_code < 400 and not (
                                identity == "visitor" and sent_to_sign_in(response)):
                            problems.append(f"{identity} POST {path} without the form token: "
                                            f"{response.status_code}")
                        if allowed and rule.rule != "/web/login":
                            if response.status_code != 400:
                                problems.append(f"{identity} POST {path} without the form "
                                                f"token: {response.status_code}, not 400")
                            counts["reached"] += 1
                            reached_admin[identity].add((method, path))
                        else:
                            counts["refused"] += 1
                        if not allowed:  # with the form token: still refused by the role
                            token = csrf_token(client.get("/web/login").get_data(as_text=True))
                            check(identity, method, path, False,
                                  client.post(path, data={"csrf_token": token}), why)
                    else:
                        check(identity, method, path, allowed, response, why)
    print(f"\nroute sweep: {len(rules)} routes, {len(roles)} admin routes, "
          f"{counts['requests']} requests, {counts['refused']} refused, "
          f"{counts['reached']} reached, {len(problems)} problems; admin pages reached: "
          + ", ".join(f"{i} {len(reached_admin[i])}" for i in IDENTITIES))
    assert not problems, "\n".join(problems)
    # The sweep sees each role both reach and be refused (it is not vacuous).
    assert counts["reached"] > 100 and counts["refused"] > 100
    assert {role for *_rest, role in admin_routes(app)} >= {PUBLIC, *ROLES}
