"""Who speaks which language: the till and its page follow the POS config's locale; the admin
follows the language chosen in its header, else Accept-Language, else core.default_locale, else
English; a JSON error keeps its code and says its message in the caller's language."""
import json
import re

from core.i18n import merged_translations
from tests.support import csrf_token, post_form, text_of

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


def set_locale(client, config_id, locale):
    response = post_form(client, f"/web/pos/configs/{config_id}", {
        "name": "Shop" if config_id == 1 else "Bar", "active": "1", "currency_code": "EUR",
        "locale": locale, "prices_include_tax": "1"})
    assert response.status_code == 302, text_of(response)


def test_the_admin_speaks_the_browsers_language_then_the_one_chosen_in_its_header(admin_client):
    page = text_of(admin_client.get("/web/apps", headers=FRENCH))
    assert '<html lang="fr">' in page and "Se déconnecter" in page and "Applications" in page
    english = text_of(admin_client.get("/web/apps", headers={"Accept-Language": "en-US"}))
    assert '<html lang="en">' in english and "Sign out" in english
    assert "Se déconnecter" not in text_of(admin_client.get("/web/apps"))  # no header: English
    # The header's language menu: English chosen, whatever the browser says.
    response = admin_client.post("/web/language", headers=FRENCH, data={
        "language": "en", "next": "/web/apps", "csrf_token": csrf_token(page)})
    assert response.status_code == 302 and response.location.endswith("/web/apps")
    assert "Sign out" in text_of(admin_client.get("/web/apps", headers=FRENCH))
    admin_client.post("/web/language", data={"language": "", "csrf_token": csrf_token(page)})
    assert "Se déconnecter" in text_of(admin_client.get("/web/apps", headers=FRENCH))


def test_an_unknown_language_changes_nothing_and_the_menu_offers_the_catalogs(admin_client):
    page = text_of(admin_client.get("/web/apps", headers=FRENCH))
    assert re.search(r'<option value="fr" lang="fr"\s+selected>Français</option>', page)
    assert '<option value="en" lang="en"' in page
    admin_client.post("/web/language", data={"language": "xx", "csrf_token": csrf_token(page)})
    assert "Se déconnecter" in text_of(admin_client.get("/web/apps", headers=FRENCH))


def test_the_instance_default_speaks_when_the_browser_names_no_known_language(
        set_parameter, make_app, addon_instance):
    from tests.support import signed_in_client
    set_parameter("core.default_locale", "fr")
    client = signed_in_client(make_app(), addon_instance)
    assert "Se déconnecter" in text_of(client.get("/web/apps"))
    assert "Se déconnecter" in text_of(client.get("/web/apps", headers={"Accept-Language": "de"}))
    assert "Sign out" in text_of(client.get("/web/apps", headers={"Accept-Language": "en"}))


def test_the_till_page_follows_its_configs_locale_whatever_the_browser_says(admin_client):
    set_locale(admin_client, 1, "fr-FR")
    page = text_of(admin_client.get("/pos/ui/1", headers={"Accept-Language": "en-US"}))
    assert '<html lang="fr">' in page
    assert ">Encaisser</button>" in page and "Point de vente" in page
    catalog = json.loads(re.search(
        r'<script type="application/json" id="pos-i18n">(.*?)</script>', page, re.S).group(1))
    assert catalog["locale"] == "fr_FR" and catalog["plural"] == "(n > 1)"
    assert catalog["messages"]["synced"] == "synchronisé"
    assert catalog["messages"]["{n} refused"] == ["{n} refusée", "{n} refusées"]
    # The other config has no locale: English, even for a French browser.
    english = text_of(admin_client.get("/pos/ui/2", headers=FRENCH))
    assert ">Pay</button>" in english and '<html lang="en">' in english
    assert json.loads(re.search(r'id="pos-i18n">(.*?)</script>', english, re.S)
                      .group(1))["messages"] == {}


def test_a_json_error_keeps_its_code_and_speaks_the_callers_language(admin_client):
    french = admin_client.post("/pos/orders", data="x", content_type="text/plain",
                               headers=FRENCH)
    assert french.status_code == 415
    assert french.get_json()["error"] == {
        "code": "unsupported_media_type",
        "message": "envoyez le corps en JSON avec l'en-tête Content-Type: application/json"}
    english = admin_client.post("/pos/orders", data="x", content_type="text/plain")
    assert english.get_json()["error"]["message"].startswith("send the body as JSON")
    refused = admin_client.post("/pos/orders", json="not orders", headers=FRENCH)
    assert refused.status_code == 400
    assert refused.get_json()["error"] == {
        "code": "invalid_body",
        "message": 'envoyez un tableau JSON de commandes, ou {"orders": [...]}'}
    missing = admin_client.get("/pos/no-such-thing", headers=FRENCH)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    assert missing.get_json()["error"]["message"].startswith("point d'accès inconnu")


def test_french_plurals_keep_their_rule_when_catalogs_of_several_addons_merge(app):
    with app.test_request_context("/"):
        merged = merged_translations("fr", "js")
        assert [merged.plural(n) for n in (0, 1, 2)] == [0, 0, 1]
        assert merged.ngettext("{n} refused", "{n} refused", 0) == "{n} refusée"


def test_an_order_pushs_rejections_and_the_json_readers_errors_speak_the_callers_language(
        admin_client):
    order = {"uuid": "fr-1", "session_id": 999, "created_at": "2026-11-26T08:00:00Z",
             "lines": [{"product_id": 1, "qty": 1, "price_unit": "1.80"}], "payments": []}
    [french] = _results(admin_client.post("/pos/orders", json=[order], headers=FRENCH))
    assert french["error"] == {"code": "unknown_session",
                               "message": "il n'y a pas de session de caisse 999"}
    [english] = _results(admin_client.post("/pos/orders", json=[order]))
    assert english["error"] == {"code": "unknown_session",
                                "message": "there is no POS session 999"}
    # The strict JSON reader's refusal of one order's content, in the caller's words too.
    [refused] = _results(admin_client.post("/pos/orders", data='[{"amount_total": NaN}]',
                                           content_type="application/json", headers=FRENCH))
    assert refused["error"] == {
        "code": "non_finite_number",
        "message": "cette commande contient ce qu'aucune commande ne peut contenir : NaN n'est "
                   "pas du JSON : envoyez les nombres en décimaux finis (ou null)"}
    [refused] = _results(admin_client.post("/pos/orders", data='[{"amount_total": NaN}]',
                                           content_type="application/json"))
    assert refused["error"]["message"].endswith(
        "NaN is not JSON: send numbers as finite decimals (or null)")
    latin1 = admin_client.post("/pos/orders", data=b'[{"note": "caf\xe9"}]',
                               content_type="application/json", headers=FRENCH)
    assert latin1.status_code == 400 and latin1.get_json()["error"] == {
        "code": "malformed_json", "message": "le corps n'est pas du texte UTF-8"}, text_of(latin1)


def _results(response):
    assert response.status_code in (200, 207, 400, 422), text_of(response)
    body = response.get_json()
    return body["results"] if isinstance(body, dict) else body


def test_what_a_received_order_breaks_is_stored_in_the_instances_language(app, addon_instance):
    """A quarantine reason is stored: it is said in the instance's language (English), not in
    that of the till whose push brought the order."""
    from addons.point_of_sale.received_orders import check_received_order
    from core.i18n import _, use_locale
    with app.test_request_context("/", headers=FRENCH):
        use_locale("fr-FR")
        assert _("there is no POS session %(id)s", id=1) == "il n'y a pas de session de caisse 1"
        with addon_instance.engine.connect() as connection:
            broken = check_received_order(connection, 1, 1, {"uuid": "r-1", "lines": []})
        assert broken == ("empty_order", "an order needs at least one line in 'lines'")
        # The request's own language is back afterwards.
        assert _("there is no POS session %(id)s", id=1) == "il n'y a pas de session de caisse 1"
