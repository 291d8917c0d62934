"""What the POS page's service worker keeps for an offline reload: the page's own modules and
every asset installed addons register for the page (`register_assets("pos")`, whatever its
path), under a cache name derived from the installed addons and the assets' contents, so that
installing or upgrading an addon (or changing a file) makes browsers fetch a new worker, which
fills a new cache and drops the old one."""
import hashlib
import json
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.security import safe_join

from core.plugins import flatten

OWN_MODULES = Path(__file__).parent / "static" / "src"


def page_assets(plugins):
    """Every URL the POS page loads besides itself: its modules, then the addons' assets."""
    own = [url_for("point_of_sale.static", filename=f"src/{path.name}")
           for path in sorted(OWN_MODULES.iterdir()) if path.suffix in (".js", ".css")]
    added = [url for url in flatten(plugins, "register_assets", page="pos") if url not in own]
    return own + added


def _static_file(url):
    """The file a same-origin static URL is served from, or None (another route, elsewhere)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    try:
        endpoint, values = current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        return None
    if endpoint == "static":
        folder = current_app.static_folder
    elif endpoint.endswith(".static"):
        blueprint = current_app.blueprints.get(endpoint.rsplit(".", 1)[0])
        folder = blueprint.static_folder if blueprint else None
    else:
        return None
    path = safe_join(folder, values.get("filename", "")) if folder else None
    return Path(path) if path and Path(path).is_file() else None


def offline_manifest(plugins, installed):
    """{"version", "assets"}: `installed` is {addon: version}; the version changes with it and
    with the content of every asset that is a static file here."""
    assets = page_assets(plugins)
    digest = hashlib.sha256(json.dumps(sorted(installed.items())).encode())
    for url in assets:
        path = _static_file(url)
        digest.update(url.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest() if path else b"-")
    return {"version": digest.hexdigest()[:16], "assets": assets}
