"""Translations: gettext catalogs per addon, through Flask-Babel.

Each addon (and the kernel) keeps its catalogs beside its code, in the repository as `.po`:

    <addon>/translations/<lang>/LC_MESSAGES/messages.po   Python code and Jinja templates
    <addon>/translations/<lang>/LC_MESSAGES/js.po         the POS page's scripts (`_t()`)

`.mo` files are compiled from them when the package is built (setup.py), by `make` and, for a
source checkout whose `.po` changed since, when the app starts (`compile_catalogs`). The app's
catalog for a language is the merge of the kernel's and every installed addon's.

Marking strings: `from core.i18n import _, _l, ngettext` in Python (`_l` for text built at
import time: labels, declarations), `{{ _("...") }}` or `{% trans %}` in templates, `_t()` /
`ngettext()` from the POS page's `i18n.js` in its scripts. `make i18n` extracts and updates
every catalog (scripts/i18n.py); docs/translations.md says how to add a language.

Which language: a request may set one (`use_locale`: the till's page and the till's JSON follow
the POS config's locale); else the language the user chose in the admin's header (a cookie
of that browser); else the
browser's Accept-Language among the languages that have catalogs; else the system parameter
`core.default_locale`; else English.
"""
import os
import tempfile
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import (
    Babel,
    Domain,
    get_babel,
    get_locale,
    lazy_gettext,
    refresh,
)
from flask_babel import gettext as _flask_gettext
from flask_babel import ngettext as _flask_ngettext

__all__ = ["_", "_l", "N_", "number_text", "gettext", "ngettext", "lazy_gettext", "use_locale",
           "instance_locale", "use_environment_locale", "current_language", "js_catalog",
           "LANGUAGES", "COMPLETE"]

# Outside a Flask app (the `core` command), the catalogs of the language the environment names
# (`use_environment_locale`); None: English.
_cli = {"translations": None}


def gettext(string, **variables):
    """`string` translated (Flask-Babel's gettext in the app; the `core` command's language
    outside it), with `%(name)s` placeholders filled from `variables`."""
    if has_app_context():
        return _flask_gettext(string, **variables)
    translations = _cli["translations"]
    text = translations.ugettext(string) if translations is not None else string
    return text % variables if variables else text


def ngettext(singular, plural, num, **variables):
    """The singular or plural form for `num` (`%(num)d` in them), translated as `gettext`."""
    if has_app_context():
        return _flask_ngettext(singular, plural, num, **variables)
    variables.setdefault("num", num)
    translations = _cli["translations"]
    text = (translations.ungettext(singular, plural, num) if translations is not None
            else singular if num == 1 else plural)
    return text % variables


_ = gettext
_l = lazy_gettext


def N_(text):
    """Mark `text` for the catalog without translating it here: it is translated where it is
    shown (a constant defined at import time, said later in the caller's language)."""
    return text

# Languages the admin offers (those with catalogs), by code, in their own words.
LANGUAGES = {"en": "English", "fr": "Français"}
# Catalogs shipped as complete: CI fails when one misses an entry or holds a fuzzy one.
COMPLETE = ("fr",)
DOMAINS = ("messages", "js")
KERNEL_TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGE_COOKIE = "comptoir_language"


def translation_directories(addons):
    """The kernel's catalog folder, then each addon's (in load order) that has one."""
    folders = [KERNEL_TRANSLATIONS]
    folders += [addon.path / "translations" for addon in addons]
    return [str(folder) for folder in folders if folder.is_dir()]


def compile_catalogs(folders, force=False):
    """Compile every `.po` under `folders` to its `.mo` when the `.mo` is missing or older
    (`force`: always). Written atomically: several processes may start at once. A folder that
    cannot be written (an installed package) keeps what its build compiled. Returns the paths
    written."""
    written = []
    for folder in folders:
        for po in sorted(Path(folder).glob("*/LC_MESSAGES/*.po")):
            mo = po.with_suffix(".mo")
            if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            try:
                handle, temporary = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
            except OSError:
                continue
            with os.fdopen(handle, "wb") as target:
                write_mo(target, catalog)
            os.replace(temporary, mo)
            written.append(mo)
    return written


def init_app(app, addons, default_locale="en"):
    """Give `app` Flask-Babel over the kernel's and `addons`' catalogs."""
    folders = translation_directories(addons)
    compile_catalogs(folders)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(folders)
    app.config["CORE_DEFAULT_LOCALE"] = default_locale or "en"
    babel = Babel(app, locale_selector=select_locale)
    # Flask-Babel's own merge takes the plural rule of the last folder, even one without the
    # language (English's rule then): French's "0 article" would become plural.
    babel.__dict__["domain_instance"] = CatalogDomain()

    @app.context_processor
    def languages():
        return {"available_languages": available_languages, "current_language": current_language}


class CatalogDomain(Domain):
    """The `messages` catalogs of every folder merged, with the plural rule of the language."""

    def get_translations(self):
        if not has_app_context():
            return Translations()
        return merged_translations(get_locale(), "messages")


def merged_translations(locale, domain):
    """The `domain` catalogs of `locale` from every folder, merged (later folders win), with the
    plural rule and headers of the first that has the language. Cached per app."""
    cache = current_app.extensions.setdefault("core.i18n.cache", {})
    key = (str(locale), domain)
    if key not in cache:
        merged = Translations()
        found = False
        for folder in get_babel().translation_directories:
            loaded = Translations.load(folder, [locale], domain)
            if not isinstance(loaded, Translations):
                continue
            merged.merge(loaded)
            if not found:
                merged.plural, merged._info, found = loaded.plural, dict(loaded._info), True
        cache[key] = merged
    return cache[key]


def add_translation_directory(app, folder):
    """One more catalog folder for `app` (tests: a pseudo-locale), read after the others."""
    get_babel(app).translation_directories.append(str(folder))
    app.extensions.pop("core.i18n.cache", None)


def available_languages():
    """{code: name} of the languages this app has catalogs for, English always."""
    codes = {"en"}
    for folder in get_babel().translation_directories:
        for mo in Path(folder).glob("*/LC_MESSAGES/messages.mo"):
            codes.add(mo.parent.parent.name)
    return {code: LANGUAGES.get(code, code) for code in sorted(codes)}


def select_locale():
    """The locale of this request (see the module's docstring)."""
    chosen = g.get("core_locale")
    if chosen:
        return chosen
    default = current_app.config.get("CORE_DEFAULT_LOCALE") or "en"
    if not has_request_context():
        return default
    languages = available_languages()
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    best = request.accept_languages.best_match(
        list(languages) + [code.replace("_", "-") for code in languages])
    return best.replace("-", "_") if best else default


def number_text(value, places=2):
    """A decimal ("115.50", a Decimal) as this request's locale writes it, without grouping:
    "115,50" in French, "115.50" in English; a text that is not a number stays as it is."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return format_decimal(number, format="0." + "0" * places if places else "0",
                          locale=get_locale() or "en", decimal_quantization=False)


def use_locale(locale):
    """This request speaks `locale` ("fr-FR", "fr_FR", "fr"; empty: the usual choice)."""
    if not locale:
        return
    try:
        parsed = Locale.parse(locale.replace("-", "_"))
    except (ValueError, TypeError, LookupError):
        return
    g.core_locale = str(parsed)
    refresh()


_UNSET = object()


@contextmanager
def instance_locale():
    """Within it, `_()` speaks the instance's default language (`core.default_locale`), not the
    caller's: for text stored in the database (a quarantine reason, an alarm), which whoever
    reads it later reads as the instance wrote it. Outside an app context, English."""
    if not has_app_context():
        yield
        return
    saved = g.get("core_locale", _UNSET)
    g.core_locale = current_app.config.get("CORE_DEFAULT_LOCALE") or "en"
    refresh()
    try:
        yield
    finally:
        if saved is _UNSET:
            g.pop("core_locale", None)
        else:
            g.core_locale = saved
        refresh()


def environment_language(environ=None):
    """The language the environment asks for, as POSIX says (`LC_ALL`, else `LC_MESSAGES`, else
    `LANG`: "fr_FR.UTF-8" is "fr_FR"); None for C, POSIX or nothing."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            code = value.split(".", 1)[0].split("@", 1)[0]
            return None if code in ("C", "POSIX") else code
    return None


def use_environment_locale(environ=None):
    """The `core` command speaks the environment's language (`environment_language`) outside
    the app, from the kernel's and every available addon's catalogs; English without one.
    Returns the language code used, or None."""
    code = environment_language(environ)
    _cli["translations"] = None
    locale = _known_locale(code) if code else None
    if locale is None:
        return None
    folders = _command_translation_folders()
    compile_catalogs([str(folder) for folder in folders])
    merged = _merged_catalogs(folders, locale)
    if merged is None:
        return None
    _cli["translations"] = merged
    return str(locale)


def _known_locale(code):
    """The babel Locale of `code`; None for one babel does not know."""
    try:
        return Locale.parse(code)
    except (ValueError, TypeError, LookupError):
        return None


def _command_translation_folders():
    """The kernel's translations and those of the addons available to the command."""
    from core.addons import BUILTIN_ADDONS, catalog_from_environment
    try:  # the available addons (CORE_ADDONS_PATH, packages), as the command itself finds them
        available = [addon.path / "translations"
                     for addon in catalog_from_environment().addons.values()]
    except Exception:  # noqa: BLE001 - a broken addon folder: the command says it, not this
        available = sorted(BUILTIN_ADDONS.glob("*/translations"))
    return [KERNEL_TRANSLATIONS, *(folder for folder in available if folder.is_dir())]


def _merged_catalogs(folders, locale):
    """The catalogs of `locale` in `folders` as one, with the plural rule and headers of the
    first found; None when no folder has one."""
    merged, found = Translations(), False
    for folder in folders:
        loaded = Translations.load(str(folder), [locale], "messages")
        if not isinstance(loaded, Translations):
            continue
        merged.merge(loaded)
        if not found:
            merged.plural, merged._info, found = loaded.plural, dict(loaded._info), True
    return merged if found else None


def current_language():
    """The language code of this request ("fr", "en"), for <html lang>."""
    locale = get_locale()
    return locale.language if locale else "en"


def js_catalog(locale=None):
    """The `js` catalog of `locale` (default: this request's), for the POS page's scripts:
    {"locale", "plural" (the C expression of its Plural-Forms), "messages"} where a message is
    its translation, or the list of its plural forms."""
    locale = locale or get_locale() or Locale.parse("en")
    merged = merged_translations(locale, "js")
    messages = {}
    for key, text in merged._catalog.items():
        if not key or not text:
            continue
        if isinstance(key, tuple):
            forms = messages.setdefault(key[0], [])
            forms.extend([""] * (key[1] + 1 - len(forms)))
            forms[key[1]] = text
        else:
            messages[key] = text
    header = getattr(merged, "_info", {}).get("plural-forms", "")
    plural = header.split("plural=", 1)[1].strip().rstrip(";").strip() if "plural=" in header \
        else "n != 1"
    return {"locale": str(locale), "plural": plural, "messages": messages}
