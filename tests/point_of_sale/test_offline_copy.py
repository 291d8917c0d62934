"""GET /pos/sw.js names what a till keeps for an offline reload: the page's modules and every
asset installed addons register for the page, under a version that changes with the addons."""
import json

from tests.support import testing_app as app_of


def offline_manifest(instance):
    response = app_of(instance).test_client().get("/pos/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    first_line = response.get_data(as_text=True).split("\n", 1)[0]
    prefix = "self.COMPTOIR_POS_OFFLINE = "
    assert first_line.startswith(prefix) and first_line.endswith(";")
    return json.loads(first_line[len(prefix):-1])


def test_the_offline_copy_holds_the_page_modules(addon_instance):
    manifest = offline_manifest(addon_instance)
    for name in ("pos.js", "hub.js", "order.js", "startup.js", "money.js", "sync.js", "pos.css"):
        assert f"/pos/static/src/{name}" in manifest["assets"], name
    assert offline_manifest(addon_instance) == manifest  # the same addons, the same version


def test_installing_an_addon_adds_its_assets_and_renews_the_version(addon_instance):
    before = offline_manifest(addon_instance)
    addon_instance.install(["pos_longpolling", "pos_check_session_state"])
    after = offline_manifest(addon_instance)
    assert after["version"] != before["version"]
    paths = lambda manifest: [url.split("?")[0] for url in manifest["assets"]]  # noqa: E731
    for url in ("/pos_longpolling/static/longpolling.js", "/pos_longpolling/static/longpolling.css",
                "/pos_check_session_state/static/session_state.js"):
        assert url in paths(after), url
        assert url not in paths(before)
    addon_instance.uninstall(["pos_check_session_state"])
    assert "/pos_check_session_state/static/session_state.js" not in \
        paths(offline_manifest(addon_instance))
