"""A POS config's receipt settings (shop header, currency, locale, prices with or without tax):
typed in the admin's config form, checked there, and sent to the POS page with the config."""
from tests.support import post_form, text_of


def test_the_config_form_saves_the_receipt_settings_and_the_page_gets_them(admin_client):
    response = post_form(admin_client, "/web/pos/configs/2", {
        "name": "Bar", "active": "1", "shop_name": "Le Bar", "vat_number": "FR 00 111222333",
        "shop_address": "3 quai Saint-Antoine\r\n69002 Lyon", "currency_code": "eur",
        "locale": "fr_fr"})  # "Show prices with tax" unchecked
    assert response.status_code == 302, text_of(response)
    config = admin_client.get("/pos/config/2/data").get_json()["config"]
    assert {key: config[key] for key in ("shop_name", "shop_address", "vat_number",
                                         "currency_code", "locale", "prices_include_tax")} == {
        "shop_name": "Le Bar", "shop_address": "3 quai Saint-Antoine\n69002 Lyon",
        "vat_number": "FR 00 111222333", "currency_code": "EUR", "locale": "fr-FR",
        "prices_include_tax": False}
    page = text_of(admin_client.get("/web/pos/configs/2"))
    assert "3 quai Saint-Antoine" in page and 'value="fr-FR"' in page


def test_a_bad_currency_or_locale_is_shown_again_and_nothing_is_saved(admin_client):
    response = post_form(admin_client, "/web/pos/configs/2", {
        "name": "Bar", "active": "1", "shop_name": "x" * 129, "currency_code": "EURO",
        "locale": "french please"})
    assert response.status_code == 400
    page = text_of(response)
    assert "three letters of ISO 4217" in page
    assert "a language and region such as fr-FR" in page
    assert "at most 128 characters" in page
    assert 'value="EURO"' in page  # what was typed, to fix it
    config = admin_client.get("/pos/config/2/data").get_json()["config"]
    assert (config["currency_code"], config["locale"], config["shop_name"]) == ("", "", "")
