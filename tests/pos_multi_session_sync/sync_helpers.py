"""Tills speaking the original pos_multi_session wire protocol, and readers of the bus."""
import itertools
import uuid

from addons.pos_longpolling import bus
from addons.pos_longpolling.bus import pos_channel
from addons.pos_multi_session_sync.wire import lines_of

DBNAME = "shop"  # the main instance's database name, as the tills send it
MULTI_SESSION = 1
URL = "/pos_multi_session_sync/update"
_line_ids = itertools.count(1)


def line(order_uid, qty=1, product_id=1, price="1.50", number=None):
    """A line as the original sends it: uid = the order uid + "-" + the line's id."""
    number = next(_line_ids) if number is None else number
    return {"uid": f"{order_uid}-{number}", "id": number, "product_id": product_id, "qty": qty,
            "price_unit": price, "discount": 0}


def ms_info(user="Alice", pos="Shop", user_id=2, pos_id=1):
    who = {"user": {"id": user_id, "name": user}, "pos": {"id": pos_id, "name": pos}}
    return {"created": who, "changed": who}


def order(uid, lines=(), revision=1, sequence_number=1, run=1, pos_id=1, **extra):
    """The data of an update_order: the till's export plus the sync bookkeeping."""
    return {"uid": uid, "sequence_number": sequence_number, "revision_ID": revision,
            "run_ID": run, "new_order": revision == 1, "nonce": uuid.uuid4().hex[:10],
            "pos_id": pos_id, "ms_info": ms_info(pos_id=pos_id), "partner_id": False,
            "lines": list(lines), **extra}


class Till:
    """One POS page: its config id, session and login number, and how it authenticates."""

    def __init__(self, client, pos_id, session_id=None, login_number=1, headers=None,
                 run=1, dbname=DBNAME, multi_session_id=MULTI_SESSION, user_id=2):
        self.client, self.pos_id, self.headers = client, pos_id, headers or {}
        self.session_id = session_id if session_id is not None else 100 + pos_id
        self.login_number, self.run, self.user_id = login_number, run, user_id
        self.dbname, self.multi_session_id = dbname, multi_session_id

    def params(self, action, data):
        return {"multi_session_id": self.multi_session_id, "dbname": self.dbname,
                "user_ID": self.user_id,
                "message": {"action": action, "data": {"pos_id": self.pos_id,
                                                       "run_ID": self.run, **data},
                            "session_id": self.session_id,
                            "login_number": self.login_number}}

    def send(self, action, data, status=200, envelope=False):
        body = self.params(action, data)
        if envelope:
            body = {"jsonrpc": "2.0", "method": "call", "params": body, "id": 7}
        response = self.client.post(URL, json=body, headers=self.headers)
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    def update_order(self, data, **kwargs):
        return self.send("update_order", data, **kwargs)

    def sync_all(self, immediate=True, uid=None, **kwargs):
        data = {"immediate_rerendering": immediate}
        if uid is not None:
            data["uid"] = uid
        return self.send("sync_all", data, **kwargs)

    def remove_order(self, uid, revision, finalized=False, order_data=None, **kwargs):
        data = {"uid": uid, "revision_ID": revision, "finalized": finalized}
        if order_data is not None:
            data["order_data"] = order_data
        return self.send("remove_order", data, **kwargs)


def bus_messages(instance, pos_id, dbname=DBNAME):
    """Every message the bus holds for that POS's pos.multi_session channel, in bus order."""
    with instance.engine.connect() as connection:
        rows = bus.fetch(connection, [pos_channel(dbname, "pos.multi_session", pos_id)], 0)
    return [row["message"] for row in rows]


def message_ids(instance, pos_id, dbname=DBNAME):
    return [m["data"]["message_ID"] for m in bus_messages(instance, pos_id, dbname)]


def lines(order):
    """An order's line objects: tills receive `[0, 0, {...}]` triples."""
    return lines_of(order)


def synced(reply):
    """The orders of a sync_all (its data), each sent as a stored message {action, data}."""
    data = reply["data"] if "orders" in reply.get("data", {}) else reply
    return [entry["data"] for entry in data["orders"]]
