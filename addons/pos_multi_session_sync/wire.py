"""The shapes orders travel in, so that the original Odoo tills (itpp-labs pos_multi_session
10.0-12.0) and Comptoir's page share one multi-session through one server.

In: a line is Odoo's `[0, 0, {...}]` triple (what `Order.export_as_JSON` makes) or the object
alone; `remove_order`'s `order_data` is the order, the wrapper the original pushes
(`{"id", "data": {...}, "to_invoice"}`), or a JSON string of either (`JSON.stringify(item)`).
The server stores the objects alone, with the keys the original's `init_from_JSON` reads
without checking (`statement_ids`, `partner_id`, a line's `id` and `pack_lot_ids`) filled in
when the sending till (Comptoir's page) left them out.

Out (broadcasts, the `sync_all` orders, the `update_order` reply's `order`): lines as triples,
since the original reads `dline[2]` of every line. Each `sync_all` order is a
stored message `{"action": "update_order", "data": {...}}`: the original reads `o.data.uid`.
"""
from core.values import whole_number
from core.web import strict_json
from core.web.errors import ApiError

from . import merge

UPDATE_ORDER = "update_order"


def line_object(value):
    """The line object of `[0, 0, {...}]` or of `{...}`; None for anything else."""
    if isinstance(value, dict):
        return value
    if (isinstance(value, list) and len(value) == 3 and value[0] == 0 and value[1] == 0
            and not isinstance(value[0], bool) and isinstance(value[2], dict)):
        return value[2]
    return None


def order_data_object(value, field):
    """`remove_order`'s `order_data` as the order object (see the module's docstring), or a
    400. None stays None. A string is read by the strict reader of every JSON body, with its
    limits (a 1e400 or a lone surrogate in it is refused as it would be in the body)."""
    if isinstance(value, str):
        try:
            value = strict_json.loads(value)
        except strict_json.JsonRefused as refused:
            if refused.code == "malformed_json":
                raise ApiError(400, "invalid_order_data",
                               f"{field} is a string but not the JSON of an order") from None
            raise ApiError(400, refused.code, f"{field} (a JSON string): {refused.message}"
                           ) from None
    if isinstance(value, dict) and "uid" not in value and isinstance(value.get("data"), dict):
        value = value["data"]  # the pushed order's wrapper {"id", "data", "to_invoice"}
    return value


def fill_in(order):
    """Give an incoming order (lines as objects, changed in place) the keys the original's
    `init_from_JSON` reads without checking, when the sending till left them out, so that
    what is stored is what every till receives and sends back."""
    order.setdefault("statement_ids", [])
    if order.get("partner_id") is None:
        order["partner_id"] = False
    for index, line in enumerate(order.get("lines") or []):
        line.setdefault("pack_lot_ids", [])
        if isinstance(line.get("id"), bool) or not isinstance(line.get("id"), int):
            suffix = str(line.get("uid", "")).rsplit("-", 1)[-1]
            number = whole_number(suffix)
            line["id"] = index + 1 if number is None else number


def order_to_wire(order):
    """A stored order (lines as objects) as every till receives it: lines as triples."""
    return {**order, "lines": [[0, 0, line] for line in order.get("lines") or []]}


def order_message(order):
    """One order of a `sync_all` answer: the stored message, as the original keeps them."""
    return {"action": UPDATE_ORDER, "data": order}


def lines_of(order):
    """The line objects of an order in either shape (for readers of what was sent)."""
    return [line_object(line) for line in order.get("lines") or []]


def _prefix(line_uid):
    return line_uid.rsplit("-", 1)[0]


def adopt_renamed_lines(stored_order, line_versions, tombstones, incoming, base):
    """Give back their server uid to the lines an original till renamed.

    The original client renames every line of an order it builds from JSON (one received,
    or its own after a reload): `uid = order.generate_unique_id() + "-" + id`, its own
    session's prefix (pos_multi_session.js, Orderline.initialize). A line of `incoming` whose
    uid the server never had, with the `id` and `product_id` of a stored line that existed at
    the till's base revision under another prefix, is that line: it takes the stored uid, so
    the merge sees an edit of it, not a new line beside it. Changes `incoming` in place."""
    stored_lines = {line["uid"]: line for line in stored_order.get("lines") or []}
    unclaimed = _unclaimed_stored_lines(stored_lines, line_versions, incoming, base)
    for line in incoming.get("lines") or []:
        if line["uid"] not in stored_lines and line["uid"] not in tombstones:
            _claim(line, unclaimed)


def _line_key(line):
    return line.get("id"), line.get("product_id")


def _unclaimed_stored_lines(stored_lines, line_versions, incoming, base):
    """{(id, product_id): [uid, ...]} of the stored lines that existed at the till's base
    revision and that `incoming` does not name: the lines a renamed one may be."""
    incoming_uids = {line["uid"] for line in incoming.get("lines") or []}
    unclaimed = {}
    for uid, line in stored_lines.items():
        if uid not in incoming_uids and merge.had_at(line_versions.get(uid, []), base):
            unclaimed.setdefault(_line_key(line), []).append(uid)
    return unclaimed


def _claim(line, unclaimed):
    """Give `line` the uid of the one unclaimed stored line with its id and product under
    another session's prefix (none, or several: it stays a new line)."""
    candidates = [uid for uid in unclaimed.get(_line_key(line), [])
                  if _prefix(uid) != _prefix(line["uid"])]
    if len(candidates) == 1:
        line["uid"] = candidates[0]
        unclaimed[_line_key(line)].remove(candidates[0])
