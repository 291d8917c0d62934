"""Odoo's JSON-RPC 2.0 envelope around a JSON route, so that pos-addons front ends that post
`{"jsonrpc": "2.0", "method": "call", "params": {...}, "id": N}` can call us unchanged.

A route decorated with `@json_route` receives the parameters (the body, or the envelope's
`params`) and returns its result; the decorator answers in the caller's form: the bare result,
or `{"jsonrpc": "2.0", "id": N, "result": ...}`. Errors keep their 4xx status either way; in the
envelope they are `{"jsonrpc": "2.0", "id": N, "error": {"code": status, "message", "data"}}`.
"""
import functools

from core.web.errors import ApiError, json_object

from .encoding import json_response


def json_route(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        body = json_object()
        if body.get("jsonrpc") is None:
            return json_response(view(body, *args, **kwargs))
        call_id = body.get("id")
        try:
            if isinstance(call_id, (bool, dict, list)):
                call_id = None
                raise ApiError(400, "invalid_envelope", 'a JSON-RPC "id" must be a string, a '
                                                        "number or null")
            if body.get("jsonrpc") != "2.0":
                raise ApiError(400, "invalid_envelope", 'a JSON-RPC call needs "jsonrpc": "2.0"')
            params = body.get("params", {})
            if not isinstance(params, dict):
                raise ApiError(400, "invalid_envelope",
                               'the JSON-RPC "params" must be an object of named parameters')
            return json_response(result_envelope(call_id, view(params, *args, **kwargs)))
        except ApiError as error:
            return json_response({"jsonrpc": "2.0", "id": call_id, "error": {
                "code": error.status, "message": error.message, "data": {"code": error.code}}},
                status=error.status)
    return wrapper


def result_envelope(call_id, result):
    return {"jsonrpc": "2.0", "id": call_id, "result": result}


def well_formed_call(body):
    """(params, id) of an envelope `json_route` takes as it is, else None (the route says
    what is wrong with it)."""
    call_id, params = body.get("id"), body.get("params", {})
    if (body.get("jsonrpc") != "2.0" or isinstance(call_id, (bool, dict, list))
            or not isinstance(params, dict)):
        return None
    return params, call_id
