"""No unmarked text: with a pseudo-locale whose every translation is ⟦its English⟧, the pages
show no word outside brackets but data (names, references, amounts). Text a person reads that
nobody marked for translation would show through as plain English here."""
import json
import re
from html.parser import HTMLParser

import pytest

from core.i18n import add_translation_directory
from tests import support
from tests.i18n.catalogs import PSEUDO, unmarked, write_pseudo_catalogs
from tests.support import ADMIN_LOGIN, post_form, signed_in_client, text_of

# Text that is data or a name, not a message: the brand, the demo's records, language names.
DATA = {"Comptoir", "Shop", "Bar", "English", "Français", "admin", ADMIN_LOGIN, PSEUDO}
# The pages checked, with the data they show. Widen as pages get marked.
ADMIN_PAGES = ["/web/apps", "/web/users", "/web/pos/", "/web/pos/configs", "/web/pos/configs/1",
               "/web/pos/configs/new", "/web/pos/sessions", "/web/pos/orders",
               "/web/pos/products", "/web/pos/products/1", "/web/pos/partners",
               "/web/pos/partners/2", "/web/pos/staff/", "/web/users/new"]
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")


def addon_names():
    """The addons' names and summaries (their manifests, shown on the Apps page as written)."""
    from core.addons import AddonCatalog
    return {text for addon in AddonCatalog().addons.values()
            for text in (addon.name, addon.manifest.name, addon.manifest.summary) if text}


def demo_data():
    """The demo's records as the admin lists them: names, categories, addresses, e-mails."""
    import yaml

    from tests.i18n.catalogs import ROOT
    data = yaml.safe_load((ROOT / "addons/point_of_sale/demo/data.yaml").read_text())
    return {str(value) for rows in data.values() for row in rows for value in row.values()
            if isinstance(value, str)} | {line for rows in data.values() for row in rows
                                          for value in row.values() if isinstance(value, str)
                                          for line in value.splitlines()}


class VisibleText(HTMLParser):
    """The text a person reads or hears: text outside script/style, and the attributes above."""

    def __init__(self):
        super().__init__()
        self.texts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        attrs = dict(attrs)
        self.texts += [attrs[name] for name in READ_ATTRIBUTES if attrs.get(name)]
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append(data)


def visible_texts(html):
    parser = VisibleText()
    parser.feed(html)
    return parser.texts


@pytest.fixture(scope="session")
def pseudo_catalogs(tmp_path_factory):
    return write_pseudo_catalogs(tmp_path_factory.mktemp("pseudo"))


@pytest.fixture
def pseudo_app(addon_instance, pseudo_catalogs):
    app = support.testing_app(addon_instance)
    add_translation_directory(app, pseudo_catalogs)
    return app


def test_the_pseudo_locale_translates_what_is_marked(pseudo_app, addon_instance):
    client = signed_in_client(pseudo_app, addon_instance)
    page = text_of(client.get("/web/apps", headers={"Accept-Language": PSEUDO}))
    assert "⟦Sign out⟧" in page


def test_the_pos_page_shows_no_unmarked_text_in_the_pseudo_locale(pseudo_app, addon_instance):
    client = signed_in_client(pseudo_app, addon_instance)
    response = post_form(client, "/web/pos/configs/1", {
        "name": "Shop", "active": "1", "locale": PSEUDO, "prices_include_tax": "1"})
    assert response.status_code == 302, text_of(response)
    page = text_of(client.get("/pos/ui/1"))
    texts = visible_texts(page)
    assert len(texts) > 40 and any("⟦Pay⟧" in text for text in texts)
    assert unmarked(texts, DATA) == []
    catalog = json.loads(re.search(r'id="pos-i18n">(.*?)</script>', page, re.S).group(1))
    assert catalog["messages"]["synced"] == "⟦synced⟧"


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_an_admin_page_shows_no_unmarked_text_in_the_pseudo_locale(pseudo_app, addon_instance,
                                                                    path):
    client = signed_in_client(pseudo_app, addon_instance)
    response = client.get(path, headers={"Accept-Language": PSEUDO})
    assert response.status_code == 200, path
    assert unmarked(visible_texts(text_of(response)), DATA | demo_data() | addon_names()) == []
