"""The baseline for bench/longpoll.py: the same two routes as pos_longpolling, in memory, with no
storage, no auth, no checks, under the same gevent WSGIServer as `core serve`.

    .venv/bin/python bench/longpoll_baseline_server.py --port 8070
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402

import gevent  # noqa: E402
from flask import Flask, jsonify, request  # noqa: E402
from gevent.event import Event  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402

app = Flask(__name__)
messages = []  # [{id, channel, message}]
next_message = {}  # channel -> Event set when its next message arrives


@app.post("/longpolling/poll")
def poll():
    body = request.get_json()
    channels, last = body["channels"], body.get("last", 0)
    found = [m for m in messages if m["id"] > last and m["channel"] in channels]
    if not found:  # no switch since the scan, so no message can slip in between
        gevent.wait([next_message.setdefault(c, Event()) for c in channels], count=1,
                    timeout=body.get("options", {}).get("timeout", 50))
        found = [m for m in messages if m["id"] > last and m["channel"] in channels]
    return jsonify(found)


@app.post("/pos_longpolling/update")
def update():
    body = request.get_json()
    channel = json.dumps([body["db_name"], "pos.longpolling", str(body["pos_id"])],
                         separators=(",", ":"))
    messages.append({"id": len(messages) + 1, "channel": channel, "message": "PONG"})
    next_message.pop(channel, Event()).set()
    return jsonify(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="In-memory long-poll baseline server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8070)
    args = parser.parse_args()
    WSGIServer((args.host, args.port), app).serve_forever()
