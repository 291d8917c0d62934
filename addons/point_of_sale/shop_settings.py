"""A POS config's receipt and display settings: the shop header (name, address, VAT number),
the currency and locale the till formats amounts and dates in, and whether prices are shown
with tax. Columns of `point_of_sale_config` (so autonomous tills receive them with the config);
checked here for the admin form, sent to the POS page with the config.

The till formats with the browser's Intl API: `locale` (BCP 47, e.g. "fr-FR"; "fr_FR" is
accepted) gives the decimal separator and the date format, `currency_code` (ISO 4217, e.g.
"EUR") the symbol. An empty currency shows plain amounts; an empty locale is "en-US".
"""
import re

LOCALE_PATTERN = re.compile(r"[a-z]{2,3}(-[A-Z][a-z]{3})?(-(?:[A-Z]{2}|[0-9]{3}))?")
CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")

TEXT_FIELDS = {"shop_name": 128, "shop_address": 512, "vat_number": 32}
DEFAULTS = {"shop_name": "", "shop_address": "", "vat_number": "", "currency_code": "",
            "locale": "", "prices_include_tax": True}
FIELD_NAMES = tuple(DEFAULTS)


def normalise_locale(text):
    """"fr_fr" / "fr-FR" -> "fr-FR" (language lower case, region upper case, script titled)."""
    parts = text.strip().replace("_", "-").split("-")
    if not parts or not parts[0]:
        return ""
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 else part.upper())
    return "-".join(out)


def clean_settings(form, errors):
    """The settings typed in the config form (a dict-like), checked; errors go into `errors`."""
    values = {name: _clean_text(form, name, max_length, errors)
              for name, max_length in TEXT_FIELDS.items()}
    values["currency_code"] = _clean_currency(form, errors)
    values["locale"] = _clean_locale(form, errors)
    values["prices_include_tax"] = form.get("prices_include_tax") in ("1", "on", "true")
    return values


def _clean_text(form, name, max_length, errors):
    """Addresses keep their line breaks; other fields are one line."""
    value = (form.get(name) or "").replace("\r\n", "\n").strip()
    if name != "shop_address":
        value = " ".join(value.split())
    if len(value) > max_length:
        errors[name] = f"at most {max_length} characters"
    return value


def _clean_currency(form, errors):
    currency = (form.get("currency_code") or "").strip().upper()
    if currency and not CURRENCY_PATTERN.fullmatch(currency):
        errors["currency_code"] = "three letters of ISO 4217, such as EUR, USD or CHF (or empty)"
    return currency


def _clean_locale(form, errors):
    locale = normalise_locale(form.get("locale") or "")
    if locale and not LOCALE_PATTERN.fullmatch(locale):
        errors["locale"] = "a language and region such as fr-FR, en-US or de-CH (or empty)"
    return locale


def settings_of(row):
    """The settings of a config row (defaults for a row without them)."""
    return {name: getattr(row, name, default) for name, default in DEFAULTS.items()}
