"""Hostile JSON for every JSON route: the values a clumsy or malicious client sends, as
hypothesis strategies and as fixed cases (tests/ is on sys.path; scripts/fuzz_json_routes.py uses
them against a live server too).

Bodies are text, not Python values: `NaN`, `Infinity`, lone surrogates and 1,000-deep nesting
must reach the server exactly as written.
"""
import json
import uuid

from hypothesis import strategies as st

HUGE_INTEGERS = [10**400, -(10**400), 2**63, 2**64, -(2**63) - 1, 2**31, 2**53 + 1]
NON_FINITE_TOKENS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"]
STRANGE_STRINGS = ["\ud800", "\udfff", "a\ud800b", "\x00", "nul\x00byte", "1_000", " 2 ",
                   "１２", "٣", "+1", "0x10", "1e3", "-0", "", "x" * 70_000]
DEEP = 1_000


def text_of(value):
    """Python value -> JSON text as a hostile client writes it (NaN, lone surrogates kept)."""
    return json.dumps(value, allow_nan=True)


def deep_array(depth=DEEP):
    return "[" * depth + "]" * depth


def deep_object(depth=DEEP):
    return '{"a":' * depth + "1" + "}" * depth


def bad_scalars():
    """One JSON token (as text) that must never reach the database or make a 5xx."""
    return st.one_of(
        st.sampled_from(NON_FINITE_TOKENS),
        st.sampled_from(HUGE_INTEGERS).map(str),
        st.sampled_from(STRANGE_STRINGS).map(text_of),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.text(max_size=20).map(text_of),
        st.sampled_from(["true", "false", "null", "[]", "{}"]),
        st.integers(min_value=40, max_value=1_200).map(deep_array),
    )


class Raw(str):
    """JSON text spliced as is into a body (see `with_text_at`)."""


def json_text(value):
    """Serialise `value`, splicing `Raw` parts in as they are."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{text_of(k)}:{json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(json_text(v) for v in value) + "]"
    return text_of(value)


def paths(value, prefix=()):
    """Every place inside `value` (dict keys, list indexes), the whole value first."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, prefix + (index,))


def with_text_at(value, path, raw):
    """A copy of `value` with the JSON text `raw` at `path`."""
    if not path:
        return Raw(raw)
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: with_text_at(value[head], rest, raw)}
    copy = list(value)
    copy[head] = with_text_at(value[head], rest, raw)
    return copy


@st.composite
def hostile_bodies(draw, valid_body):
    """`valid_body` (a dict or list) with one place replaced by a bad scalar, or a key added."""
    places = list(paths(valid_body))
    path = draw(st.sampled_from(places))
    raw = draw(bad_scalars())
    body = with_text_at(valid_body, path, raw)
    if draw(st.booleans()) and isinstance(body, dict):
        body = {**body, draw(st.sampled_from(["extra", "\ud800", "x" * 300])): Raw(raw)}
    return json_text(body)


def check_hostile_answer(response, count, before, created):
    """A hostile body's answer: never a 5xx; a refusal is a JSON error a person can act on and
    wrote nothing (`count()` still `before`); an acceptance wrote what `created(answer)` says."""
    assert response.status_code < 500
    answer = json.loads(response.get_data(as_text=True))
    if response.status_code >= 400:
        assert set(answer["error"]) == {"code", "message"}
        assert count() == before
    else:
        assert count() == before + created(answer)


# -- valid bodies of each JSON route (the demo data: configs 1 and 2, session 1 open) -----------

def order(session_id=1, **changes):
    return {"uuid": uuid.uuid4().hex, "session_id": session_id,
            "created_at": "2026-11-22T10:15:00Z", "reference": "Order 00001-001-0001",
            "sequence_number": 1, "lines": [{"product_id": 1, "qty": 1, "price_unit": "1.00",
                                             "discount": 0}],
            "payments": [{"method": "cash", "amount": "100.00"}], **changes}


def poll_body(dbname, pos_id=1):
    return {"channels": [json.dumps([dbname, "pos.longpolling", str(pos_id)])], "last": 0,
            "options": {"timeout": 0}}


def ping_body(dbname, pos_id=1):
    return {"pos_id": pos_id, "message": "PING", "db_name": dbname}


def sync_body(dbname, multi_session_id=1, pos_id=1, action="update_order"):
    data = {"pos_id": pos_id, "run_ID": 1}
    if action == "update_order":
        uid = uuid.uuid4().hex[:12]
        data.update(uid=uid, sequence_number=1, revision_ID=1, new_order=True, nonce="n1",
                    lines=[{"uid": uid + "-1", "product_id": 1, "qty": 1, "price_unit": 1.5}],
                    ms_info={"created": {"user": {"id": 2}}})
    elif action == "sync_all":
        data.update(immediate_rerendering=True)
    return {"multi_session_id": multi_session_id, "dbname": dbname, "user_ID": 2,
            "message": {"action": action, "data": data, "session_id": 1, "login_number": 1}}


def envelope(params, call_id=7):
    return {"jsonrpc": "2.0", "method": "call", "params": params, "id": call_id}


def json_routes(dbname):
    """(method, path, valid body) for every JSON route that takes a body."""
    return [
        ("POST", "/pos/orders", [order()]),
        ("POST", "/pos/orders", {"orders": [order(), order()]}),
        ("POST", "/longpolling/poll", poll_body(dbname)),
        ("POST", "/longpolling/poll", envelope(poll_body(dbname))),
        ("POST", "/pos_longpolling/update", ping_body(dbname)),
        ("POST", "/pos_longpolling/update", envelope(ping_body(dbname))),
        ("POST", "/pos_multi_session_sync/update", sync_body(dbname)),
        ("POST", "/pos_multi_session_sync/update", envelope(sync_body(dbname, action="sync_all"))),
        ("POST", "/pos/session/1/login", {}),
    ]


PATH_ID_ROUTES = [("GET", "/pos/config/{}/data"), ("POST", "/pos/session/{}/login"),
                  ("GET", "/pos/session/{}/report"),
                  ("GET", "/pos_check_session_state/state/{}")]
