"""CORS for POS pages served by another instance than this one (a separate sync server):
browsers preflight their POSTs with OPTIONS, and read the answers only with the right
Access-Control-Allow-Origin. flask-cors does both for the origins in
`pos_longpolling.cors_origins`, on the bus's routes and those addons add through the
`longpolling_cors_paths` hook. Tokens travel in the Authorization header, never cookies."""
from flask import request
from flask_cors import CORS

from core.plugins import flatten

BUS_PATHS = [r"/longpolling/.*", r"/pos_longpolling/.*"]
PREFLIGHT_MAX_AGE = 600  # seconds a browser may reuse a preflight answer


def enable_cors(app, settings):
    if not settings.cors_origins:
        return
    origins = "*" if "*" in settings.cors_origins else list(settings.cors_origins)
    paths = BUS_PATHS + flatten(app.extensions["core.plugins"], "longpolling_cors_paths")
    CORS(app, resources={path: {} for path in paths}, origins=origins,
         methods=["GET", "POST", "OPTIONS"], allow_headers=["Content-Type", "Authorization"],
         max_age=PREFLIGHT_MAX_AGE, supports_credentials=False, vary_header=True)

    @app.after_request
    def preflight_without_content(response):
        """A preflight's answer has no body: 204, as nginx samples and the original doc give."""
        if (request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
                and response.status_code == 200):
            response.status_code = 204
            response.set_data(b"")
        return response
