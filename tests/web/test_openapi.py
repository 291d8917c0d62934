"""docs/openapi.yaml describes every JSON route of the built-in addons (scripts/schemathesis-live
fuzzes a live server with it)."""
import re
from pathlib import Path

import yaml

from tests.support import installed_instance
from tests.support import testing_app as app_of

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
# pages, a script, an icon, the health probe, the bus's WebSocket (not an HTTP JSON exchange)
NOT_JSON = {"/", "/favicon.ico", "/pos/ui/{config_id}", "/pos/ui/{config_id}/display",
            "/pos/sw.js", "/web/health",
            "/longpolling/websocket"}


def test_every_json_route_is_in_the_openapi_document(db_url):
    from core.addons import AddonCatalog
    catalog = AddonCatalog()
    instance = installed_instance(db_url, list(catalog.names()), demo=False)
    app = app_of(instance)
    routes = {}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        if path.startswith("/web/") or "/static/" in path or path in NOT_JSON:
            continue
        # One path may have several rules (GET and POST /pos/customers): their methods add up.
        routes.setdefault(path, set()).update(
            m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    described = yaml.safe_load(OPENAPI.read_text())["paths"]
    assert {path: set(described.get(path, {})) for path in routes} == routes
    instance.engine.dispose()
