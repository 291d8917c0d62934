"""Replay of the original Odoo tills against this sync server.

`OriginalTill` sends what itpp-labs pos-addons' client code sends and reads from each answer
exactly what that code reads, for the 10.0, 11.0 and 12.0 branches (their wire code is the
same; 11.0 and 12.0 only port `openerp.session.rpc` to `session.rpc` and `web.Model` to
`web.rpc`):

* `pos_multi_session/static/src/js/pos_multi_session.js` — `MultiSession.send` (the JSON-RPC
  call `{multi_session_id, message, dbname, user_ID}`, `message.data.pos_id`, `nonce` as
  `(Math.random() + 1).toString(36).substring(7)`, `session_id`, `login_number`), `sync_all`
  (`uid` and `immediate_rerendering` on the message, not in data), `remove_order`,
  `send_paid_offline_orders` (`order_data: JSON.stringify(item)` of the pushed wrapper),
  `Order.export_as_JSON` (lines as `[0, 0, {...}]`), the `.done` handler (`res.action`,
  `res.uid`, `res.revision_ID`, `res.order_ID`, `res.state`, `res.order_uid`),
  `updates_from_server_callback` / `updates_from_server` (own echoes, `message_ID` gaps,
  `o.data.uid` of `sync_all` orders), `ms_update_order` / `ms_update_existing_order`
  (`dline[2]`, `is_changed`, `partner_id`), `Order.init_from_JSON` (`statement_ids.filter`);
* Odoo's `point_of_sale/static/src/js/models.js` `init_from_JSON` of orders and lines
  (`orderlines[i][2]`, `json.pack_lot_ids.length`, `json.id + 1`), which the client calls for
  orders it receives;
* `pos_longpolling/static/src/js/pos_longpolling.js` (10.0 @8b16c4d1; 12.0's
  `LongpollingBus.js` @b17d8de0 polls the same way) — `POST /longpolling/poll
  {channels, last, options: {bus_inactivity}}` in the JSON-RPC envelope, each notification
  `{id, channel, message}` routed by `JSON.parse(channel)[1]`.
"""
import json
import random
import string

import pytest

from tests.pos_multi_session_sync.sync_helpers import DBNAME, MULTI_SESSION

UPDATE_URL = "/pos_multi_session_sync/update"
POLL_URL = "/longpolling/poll"


def original_nonce(rng):
    """(Math.random() + 1).toString(36).substring(7): a few base-36 digits, now and then none."""
    return "".join(rng.choice(string.digits + string.ascii_lowercase)
                   for _ in range(rng.choice([0, 3, 4, 5, 6])))


class OriginalTill:
    """One original POS page: what it sends, and its state as its code updates it."""

    def __init__(self, client, pos_id, name, session_id, run_id=1, login_number=1, seed=0):
        self.client, self.pos_id, self.name = client, pos_id, name
        self.session_id, self.login_number, self.run_id = session_id, login_number, run_id
        self.rng = random.Random(seed)
        self.message_ID = 0
        self.order_ID = 0  # pos_session.order_ID
        self.sequence_number = 1  # pos_session.sequence_number
        self.orders = {}  # uid -> {revision_ID, sequence_number, lines: {uid: line}, ...}
        self.paid_offline = []  # pos.db.get_orders(): the push queue's wrappers
        self.last = 0
        self.online = True
        self.sync_all_requests = 0
        self.warnings = []
        self.next_line_id = 1

    # -- transport ----------------------------------------------------------------------
    def rpc(self, url, params):
        """Odoo's session.rpc: the JSON-RPC envelope; a failure is an error to the caller."""
        body = {"jsonrpc": "2.0", "method": "call", "params": params,
                "id": self.rng.randrange(10**9)}
        response = self.client.post(url, json=body)
        assert response.status_code == 200, response.get_data(as_text=True)
        answer = response.get_json()
        assert answer["jsonrpc"] == "2.0" and answer["id"] == body["id"]
        assert "error" not in answer, answer
        return answer["result"]

    def send(self, message):
        """MultiSession.send, then its .done handler; returns the result."""
        message["data"]["pos_id"] = self.pos_id
        message["data"]["nonce"] = original_nonce(self.rng)
        message["session_id"] = self.session_id
        message["login_number"] = self.login_number
        res = self.rpc(UPDATE_URL, {"multi_session_id": MULTI_SESSION, "message": message,
                                    "dbname": DBNAME, "user_ID": 2})
        assert isinstance(res, dict)
        if res.get("action") == "revision_error":
            if res.get("state") == "deleted":
                self.orders.pop(res["order_uid"], None)
            else:
                self.warnings.append("There is a conflict during synchronization, try your "
                                     "action again")
                self.request_sync_all(uid=res["order_uid"])
        if res.get("action") == "sync_all":
            self.updates_from_server(res)
        if res.get("action") == "update_revision_ID" and res.get("uid"):
            order = self.orders.get(res["uid"])
            if order is not None:
                self.update_revision_id(order, res)
        return res

    def poll(self, drop=()):
        """One poll of the original bus; `drop`: bus positions lost on the way (a gap)."""
        channels = [json.dumps([DBNAME, name, str(self.pos_id)])
                    for name in ("pos.longpolling", "pos.multi_session")]
        result = self.rpc(POLL_URL, {"channels": channels, "last": self.last,
                                     "options": {"bus_inactivity": 1234}})
        handled = []
        for index, notification in enumerate(result):
            self.last = max(self.last, notification["id"])
            channel = notification["channel"]
            if isinstance(channel, str):
                channel = json.loads(channel)
            if index in drop or channel[1] != "pos.multi_session":
                continue
            handled.append(notification["message"])
            self.updates_from_server_callback(notification["message"])
        return handled

    # -- pos_multi_session.js ---------------------------------------------------------------
    def request_sync_all(self, uid=None, immediate_rerendering=False):
        self.sync_all_requests += 1
        for item in self.paid_offline:  # send_paid_offline_orders, before the sync
            self.send({"action": "remove_order", "data": {
                "uid": item["data"]["uid"], "revision_ID": item["data"]["revision_ID"],
                "finalized": True, "order_data": json.dumps(item), "run_ID": self.run_id}})
        self.paid_offline = []  # push_order() took them to Odoo
        message = {"action": "sync_all", "data": {"run_ID": self.run_id}}
        if uid:
            message["uid"] = uid
        if immediate_rerendering:
            message["immediate_rerendering"] = immediate_rerendering
        return self.send(message)

    def updates_from_server_callback(self, message):
        def get_attr(obj, attr):
            return obj.get(attr) or (obj.get("data") or {}).get(attr)
        same_session = get_attr(message, "session_id") == self.session_id
        same_login = get_attr(message, "login_number") == self.login_number
        if same_session and ((same_login and message["action"] != "sync_all")
                             or (not same_login and message["action"] == "sync_all")):
            self.message_ID = message["data"]["message_ID"]
            return
        self.updates_from_server(message)

    def updates_from_server(self, message):
        action, data = message["action"], message.get("data") or {}
        if action == "sync_all":
            self.message_ID = data["message_ID"]
            server_uids = [o["data"]["uid"] for o in data["orders"]]
            for received in data["orders"]:
                self.ms_update_order(self.orders.get(received["data"]["uid"]), received["data"])
            self.order_ID = data["order_ID"]
            if self.sequence_number < (data["order_ID"] + 1 or 1):
                self.sequence_number = data["order_ID"] + 1
            if not data["uid"]:  # destroy_removed_orders
                for uid in [u for u, o in self.orders.items() if o["order_on_server"]]:
                    if uid not in server_uids:
                        del self.orders[uid]
            return
        order = self.orders.get(data["uid"]) if data.get("uid") else None
        if self.message_ID + 1 == data["message_ID"]:
            self.message_ID = data["message_ID"]
        else:
            self.request_sync_all()
        if order is not None and action == "remove_order":
            del self.orders[data["uid"]]
        elif action == "update_order":
            self.ms_update_order(order, data)

    def ms_update_order(self, order, data):
        self.order_ID = data["sequence_number"]
        if order is None:
            self.orders[data["uid"]] = self.init_from_json({**data, "order_on_server": True})
            return
        order["ms_info"], order["revision_ID"] = data["ms_info"], data["revision_ID"]
        order["partner_id"] = None if data["partner_id"] is False else data["partner_id"]
        not_found = set(order["lines"])
        for dline in data["lines"]:
            dline = dline[2]
            not_found.discard(dline["uid"])
            line = order["lines"].get(dline["uid"])
            if line is None:
                order["lines"][dline["uid"]] = {"uid": dline["uid"], **self.apply_ms_data(dline)}
            elif dline.get("is_changed"):
                line.update(self.apply_ms_data(dline))
        for uid in not_found:
            del order["lines"][uid]
        order["order_on_server"], order["new_order"] = True, False

    @staticmethod
    def apply_ms_data(dline):
        return {key: dline[key] for key in ("product_id", "qty", "price_unit", "discount")
                if key in dline}

    def generate_unique_id(self, sequence_number):
        """Order.generate_unique_id: this till's session and login, the order's number."""
        return f"{self.session_id:05d}-{self.login_number:03d}-{sequence_number:04d}"

    def init_from_json(self, json_order):
        """Odoo's Order.init_from_JSON, with pos_multi_session's override before it; each
        line is renamed by pos_multi_session's Orderline.initialize:
        `this.uid = this.order.generate_unique_id() + "-" + this.id`."""
        [s for s in json_order["statement_ids"] if s]  # .filter(): must be an array
        self.sequence_number = max(json_order["sequence_number"] + 1, self.sequence_number)
        lines = {}
        for triple in json_order["lines"]:
            line = triple[2]
            assert isinstance(line["pack_lot_ids"], list)
            assert isinstance(line["id"], int)  # orderline_id = Math.max(this.id + 1, ...)
            self.next_line_id = max(line["id"] + 1, self.next_line_id)
            uid = f"{self.generate_unique_id(json_order['sequence_number'])}-{line['id']}"
            lines[uid] = {"uid": uid, **self.apply_ms_data(line)}
        return {"uid": json_order["uid"], "sequence_number": json_order["sequence_number"],
                "revision_ID": json_order["revision_ID"], "new_order": json_order["new_order"],
                "order_on_server": json_order["order_on_server"], "run_ID": json_order["run_ID"],
                "ms_info": json_order["ms_info"], "partner_id": json_order["partner_id"] or None,
                "lines": lines}

    def update_revision_id(self, order, res):
        if res["order_ID"] and (order["sequence_number"] != res["order_ID"]
                                or self.sequence_number == res["order_ID"]):
            order["sequence_number"] = self.order_ID = res["order_ID"]
            self.sequence_number = max(self.sequence_number, res["order_ID"] + 1)
        if res["revision_ID"] and res["revision_ID"] > order["revision_ID"]:
            order["revision_ID"] = res["revision_ID"]

    # -- the cashier --------------------------------------------------------------------
    def ms_info(self):
        return {"user": {"id": 2, "name": "Alice"}, "pos": {"id": self.pos_id, "name": self.name}}

    def new_order(self):
        uid = self.generate_unique_id(self.sequence_number)
        order = {"uid": uid, "sequence_number": self.sequence_number, "revision_ID": 1,
                 "new_order": True, "order_on_server": False, "run_ID": self.run_id,
                 "ms_info": {"created": self.ms_info()}, "partner_id": None, "lines": {}}
        self.sequence_number += 1
        self.orders[uid] = order
        return uid

    def add_product(self, uid, product_id, qty=1, price=1.5):
        line_uid = (f"{self.generate_unique_id(self.orders[uid]['sequence_number'])}"
                    f"-{self.next_line_id}")
        self.next_line_id += 1
        self.orders[uid]["lines"][line_uid] = {"uid": line_uid, "product_id": product_id,
                                               "qty": qty, "price_unit": price, "discount": 0}
        return line_uid

    def export_as_json(self, uid):
        """Odoo's Order.export_as_JSON with pos_multi_session's keys."""
        order = self.orders[uid]
        lines = [[0, 0, {"qty": line["qty"], "price_unit": line["price_unit"],
                         "discount": line["discount"], "product_id": line["product_id"],
                         "tax_ids": [[6, False, []]],
                         "id": int(line["uid"].rsplit("-", 1)[1]), "pack_lot_ids": [],
                         "uid": line["uid"], "ms_info": {"created": self.ms_info()}}]
                 for line in order["lines"].values()]
        total = sum(line["qty"] * line["price_unit"] for line in order["lines"].values())
        return {"name": f"Order {uid}", "amount_paid": 0, "amount_total": total,
                "amount_tax": 0, "amount_return": 0, "lines": lines, "statement_ids": [],
                "pos_session_id": self.session_id,
                "partner_id": order["partner_id"] or False, "user_id": 2, "uid": uid,
                "sequence_number": order["sequence_number"],
                "creation_date": "2026-11-25T10:00:00.000Z", "fiscal_position_id": False,
                "ms_info": order["ms_info"], "revision_ID": order["revision_ID"],
                "new_order": order["new_order"], "order_on_server": order["order_on_server"],
                "run_ID": order["run_ID"]}

    def send_updates(self, uid):
        """new_updates_to_send, then send_updates_to_server (the queue runs it at once)."""
        order = self.orders[uid]
        if order["new_order"]:
            order["new_order"] = False
            self.order_ID += 1
        data = self.export_as_json(uid)
        if not self.online:
            return None
        res = self.send({"action": "update_order", "data": data})
        if uid in self.orders:
            self.orders[uid]["order_on_server"] = True
        return res

    def pay(self, uid):
        """The order is finalized and destroyed: pushed to Odoo, removed from the others."""
        order = self.orders.pop(uid)
        if not self.online:
            # pos.db.add_order: the push queue's wrapper {id, data, to_invoice}.
            self.paid_offline.append({"id": uid, "data": {**self.export_as_json_of(order)},
                                      "to_invoice": False})
            return None
        return self.send({"action": "remove_order", "data": {
            "uid": uid, "revision_ID": order["revision_ID"], "finalized": True,
            "run_ID": self.run_id}})

    def export_as_json_of(self, order):
        self.orders[order["uid"]] = order
        try:
            return self.export_as_json(order["uid"])
        finally:
            del self.orders[order["uid"]]

    def shown(self, uid):
        """What the till shows of an order: {line uid or product: qty}."""
        return sorted((line["product_id"], line["qty"])
                      for line in self.orders[uid]["lines"].values())


@pytest.fixture
def quick_polls(set_parameter):
    set_parameter("pos_longpolling.poll_timeout", 1)  # an empty poll answers [] within 1 s


@pytest.fixture
def client(quick_polls, admin_client):
    return admin_client


@pytest.fixture
def tills(client):
    """Shop and Bar, loaded: the loading sync_all answers in its reply (immediate)."""
    shop = OriginalTill(client, 1, "Shop", session_id=5, seed=1)
    bar = OriginalTill(client, 2, "Bar", session_id=6, seed=2)
    for till in (shop, bar):
        res = till.request_sync_all(immediate_rerendering=True)
        # "Sync Orders" ends: the reply is the sync itself, not {"action": ""}.
        assert res["action"] == "sync_all" and res["data"]["orders"] == []
        assert till.message_ID == 1 and res["data"]["session_id"] == till.session_id
    return shop, bar


def test_loading_till_gets_the_orders_in_the_reply_as_stored_messages(tills, client):
    shop, bar = tills
    uid = shop.new_order()
    shop.add_product(uid, 1, qty=2)
    shop.send_updates(uid)
    late = OriginalTill(client, 3, "Terrace", session_id=7, seed=3)
    res = late.request_sync_all(immediate_rerendering=True)
    [stored] = res["data"]["orders"]
    assert stored["action"] == "update_order" and stored["data"]["uid"] == uid
    assert late.shown(uid) == [(1, 2)] and late.orders[uid]["revision_ID"] == 1
    assert late.sequence_number == 2 and late.order_ID == 1


def test_a_new_order_reaches_the_other_till_with_its_lines_as_triples(tills):
    shop, bar = tills
    uid = shop.new_order()
    shop.add_product(uid, 1)
    res = shop.send_updates(uid)
    assert res["action"] == "update_revision_ID" and res["uid"] == uid
    assert res["order_ID"] == 1 and shop.orders[uid]["sequence_number"] == 1
    [echo] = shop.poll()  # its own echo: message_ID counted, nothing applied
    assert echo["session_id"] == shop.session_id and shop.message_ID == 2
    [message] = bar.poll()
    assert message["action"] == "update_order" and bar.message_ID == 2
    assert bar.shown(uid) == [(1, 1)] and bar.orders[uid]["order_on_server"]


def test_edits_from_two_tills_at_once_keep_both_on_both(tills):
    shop, bar = tills
    uid = shop.new_order()
    shop.add_product(uid, 1)
    shop.send_updates(uid)
    shop.poll(), bar.poll()
    # Both change the order from revision 1 before seeing the other's change.
    shop.add_product(uid, 2)
    bar.orders[uid]["lines"][next(iter(bar.orders[uid]["lines"]))]["qty"] = 3
    assert shop.send_updates(uid)["revision_ID"] == 2
    res = bar.send_updates(uid)  # the original server refused this one (pos-addons #348)
    assert res["action"] == "update_revision_ID" and res["revision_ID"] == 3
    assert bar.warnings == []
    shop.poll()
    handled = bar.poll()
    # Bar read the merged order as another till's change (its own echo it would ignore).
    assert [m["session_id"] for m in handled] == [shop.session_id, None]
    assert shop.shown(uid) == bar.shown(uid) == [(1, 3), (2, 1)]
    assert shop.orders[uid]["revision_ID"] == bar.orders[uid]["revision_ID"] == 3
    assert shop.sync_all_requests == bar.sync_all_requests == 1  # only the loading one


def test_a_plain_comptoir_till_and_an_original_till_share_one_order(tills, client):
    shop, bar = tills
    uid = shop.new_order()
    shop.add_product(uid, 1)
    shop.send_updates(uid)
    shop.poll()
    # Comptoir's page sends lines as objects and no statement_ids, pack_lot_ids nor line id.
    comptoir_line = {"uid": f"{uid}-3.1.1", "product_id": 2, "qty": "2", "price_unit": "1.80",
                     "discount": 0, "name": "Tea", "tax_rate": "0.1"}
    data = {**shop.export_as_json(uid), "revision_ID": 1, "pos_id": 3, "run_ID": 1,
            "nonce": "cpt1", "new_order": False}
    data["lines"] = [triple[2] for triple in data["lines"]] + [comptoir_line]
    data.pop("statement_ids")
    response = client.post(UPDATE_URL, json={
        "multi_session_id": MULTI_SESSION, "dbname": DBNAME, "user_ID": 2,
        "message": {"action": "update_order", "data": data, "session_id": 8,
                    "login_number": 1}})
    assert response.status_code == 200, response.get_data(as_text=True)
    shop.poll()
    assert shop.shown(uid) == [(1, 1), (2, "2")]
    bar.poll()  # Bar never saw the order: it builds it with init_from_JSON
    assert bar.shown(uid) == [(1, 1), (2, "2")]


def test_paying_removes_the_order_from_the_other_till(tills):
    shop, bar = tills
    uid = shop.new_order()
    shop.add_product(uid, 1)
    shop.send_updates(uid)
    bar.poll()
    assert shop.pay(uid) == {"order_ID": 1}
    bar.poll()
    assert uid not in bar.orders and bar.message_ID == 3


def test_an_order_paid_offline_is_counted_and_the_till_syncs_on_reconnect(tills):
    shop, bar = tills
    shared = shop.new_order()
    shop.add_product(shared, 1)
    shop.send_updates(shared)
    bar.poll()
    bar.online = False
    uid = bar.new_order()  # number 1 on Bar's own count: the server gave 1 to Shop's order
    bar.add_product(uid, 2)
    assert bar.send_updates(uid) is None
    bar.pay(uid)
    shop.add_product(shared, 3)
    shop.send_updates(shared)  # Bar misses this while offline
    # Back online: remove_order with order_data = JSON.stringify(the pushed wrapper), then a
    # sync_all over the bus (not immediate).
    bar.online = True
    assert bar.request_sync_all() in ({}, {"action": ""})
    handled = bar.poll()
    assert [m["action"] for m in handled] == ["update_order", "remove_order", "sync_all"]
    assert bar.shown(shared) == [(1, 1), (3, 1)] and uid not in bar.orders
    assert bar.order_ID == 2 and bar.sequence_number == 3  # the paid order's number counted
    shop.poll()
    res = shop.send_updates(shop.new_order())
    assert res["order_ID"] == 3  # no number given twice


def test_a_gap_in_message_ids_asks_for_a_sync_all(tills):
    shop, bar = tills
    uid = shop.new_order()
    shop.add_product(uid, 1)
    shop.send_updates(uid)
    shop.add_product(uid, 2)
    shop.send_updates(uid)
    handled = bar.poll(drop={0})  # the first message is lost on the way
    assert [m["data"]["message_ID"] for m in handled] == [3]
    assert bar.sync_all_requests == 2  # the gap asked for a sync
    bar.poll()
    assert bar.shown(uid) == [(1, 1), (2, 1)] and bar.message_ID == 4


def test_a_conflict_and_a_deleted_order_as_the_original_reads_them(tills):
    shop, bar = tills
    uid = shop.new_order()
    line_uid = shop.add_product(uid, 1)
    shop.send_updates(uid)
    bar.poll()
    # Bar built the order from JSON: its copy of the line has a uid of Bar's own making.
    [bar_line] = bar.orders[uid]["lines"]
    assert bar_line != line_uid and bar_line.endswith("-1")
    shop.orders[uid]["lines"][line_uid]["qty"] = 2
    shop.send_updates(uid)
    bar.orders[uid]["lines"][bar_line]["qty"] = 5  # the same line, from the older revision
    res = bar.send_updates(uid)
    # Recognised as the same line (its id and product), not added as a second one.
    assert res["conflicts"] == [line_uid] and bar.warnings == []
    bar.poll()
    assert bar.shown(uid) == [(1, 2)]  # the other till's change, kept, is what Bar shows
    shop.pay(uid)
    [bar_line] = bar.orders[uid]["lines"]
    bar.orders[uid]["lines"][bar_line]["qty"] = 7
    res = bar.send_updates(uid)
    assert res == {"action": "revision_error", "order_uid": uid, "state": "deleted"}
    assert uid not in bar.orders
