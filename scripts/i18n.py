#!/usr/bin/env python3
"""The translation catalogs of the kernel and every addon (`make i18n`; docs/translations.md).

    scripts/i18n.py update    pybabel extract, then pybabel update (init for a new language)
    scripts/i18n.py compile   pybabel compile: every .po to its .mo
    scripts/i18n.py check     what a complete language misses, holds fuzzy, or formats wrong

Each unit (core/, addons/<name>/) has its own catalogs in <unit>/translations/: `messages`
(Python and templates, scripts/babel-messages.cfg) and `js` (the POS page's scripts,
scripts/babel-js.cfg). Catalogs carry no source locations and are sorted by message, so that
two branches adding messages merge cleanly.
"""
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from babel.messages.frontend import CommandLineInterface  # noqa: E402
from babel.messages.pofile import read_po, write_po  # noqa: E402

from core.i18n import COMPLETE, LANGUAGES, compile_catalogs  # noqa: E402

MAPPINGS = {"messages": ROOT / "scripts" / "babel-messages.cfg",
            "js": ROOT / "scripts" / "babel-js.cfg"}
KEYWORDS = {"messages": ["-k", "_l", "-k", "N_", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2"],
            "js": ["--no-default-keywords", "-k", "_t", "-k", "N_", "-k", "ngettext:1,2",
                   "-k", "pgettext:1c,2"]}
LANGUAGES_TO_SHIP = [code for code in LANGUAGES if code != "en"]
# Plural rules new catalogs get where gettext's usual one is simpler than Babel's (CLDR gives
# French a third form for millions).
PLURAL_FORMS = {"fr": (2, "(n > 1)")}


def units():
    """The folders that own catalogs: the kernel, then each built-in addon."""
    return [ROOT / "core"] + sorted(path for path in (ROOT / "addons").iterdir()
                                    if (path / "__manifest__.py").exists())


def pybabel(*args):
    """Babel's `pybabel` command, run in this process (14 runs per update: no start-up each)."""
    status = CommandLineInterface().run(["pybabel", "-q", *args])
    if status:
        raise SystemExit(f"pybabel {' '.join(args)} failed ({status})")


def extract(unit, domain, pot):
    """The `domain` messages marked in `unit`, into `pot`; the number of messages."""
    pybabel("extract", "-F", str(MAPPINGS[domain]), *KEYWORDS[domain], "--no-location",
            "--sort-output", "--add-comments=Translators:", "--project=Comptoir",
            "-o", str(pot), str(unit))
    with open(pot, "rb") as source:
        return len([m for m in read_po(source) if m.id])


def update():
    with tempfile.TemporaryDirectory() as temporary:
        for unit in units():
            folder = unit / "translations"
            for domain in MAPPINGS:
                pot = Path(temporary) / f"{unit.name}-{domain}.pot"
                count = extract(unit, domain, pot)
                if not count and not any(folder.glob(f"*/LC_MESSAGES/{domain}.po")):
                    continue
                for language in LANGUAGES_TO_SHIP:
                    po = folder / language / "LC_MESSAGES" / f"{domain}.po"
                    command = "update" if po.exists() else "init"
                    extra = ["--no-fuzzy-matching", "--ignore-obsolete",
                             "--ignore-pot-creation-date"] if po.exists() else []
                    pybabel(command, "-i", str(pot), "-d", str(folder), "-D", domain,
                            "-l", language, "--no-wrap", *extra)
                    if command == "init" and language in PLURAL_FORMS:
                        with po.open("rb") as source:
                            catalog = read_po(source, locale=language)
                        catalog._num_plurals, catalog._plural_expr = PLURAL_FORMS[language]
                        with po.open("wb") as target:
                            write_po(target, catalog, width=0, no_location=True,
                                     sort_output=True)
                print(f"{unit.relative_to(ROOT)} {domain}: {count} messages")
    compile_catalogs([unit / "translations" for unit in units()])


def key_of(message):
    """A message's identity: its context (pgettext) and its singular."""
    singular = message.id if isinstance(message.id, str) else message.id[0]
    return f"{message.context}\x04{singular}" if message.context else singular


def problems(languages=COMPLETE):
    """[(catalog, message, what)] for every complete language: a message marked in the code
    that its catalog lacks or leaves untranslated, a fuzzy entry, a format that does not match."""
    found = []
    with tempfile.TemporaryDirectory() as temporary:
        for unit in units():
            for domain in MAPPINGS:
                pot = Path(temporary) / f"{unit.name}-{domain}.pot"
                count = extract(unit, domain, pot)
                with open(pot, "rb") as source:
                    wanted = {key_of(m) for m in read_po(source) if m.id}
                for language in languages:
                    remaining = set(wanted)
                    po = unit / "translations" / language / "LC_MESSAGES" / f"{domain}.po"
                    name = str(po.relative_to(ROOT))
                    if not po.exists():
                        if count:
                            found.append((name, "", "missing catalog (run make i18n)"))
                        continue
                    with po.open("rb") as source:
                        catalog = read_po(source, locale=language)
                    for message in catalog:
                        if not message.id:
                            continue
                        key = key_of(message)
                        if key not in remaining:
                            continue
                        remaining.discard(key)
                        strings = message.string if isinstance(message.string, tuple) \
                            else (message.string,)
                        if not all(strings):
                            found.append((name, key, "untranslated"))
                        elif message.fuzzy:
                            found.append((name, key, "fuzzy"))
                    # Python's %-formats only: the scripts' {name} placeholders are not, though
                    # Babel flags "5 % on" as one.
                    for message, errors in catalog.check() if domain == "messages" else ():
                        for error in errors:
                            found.append((name, str(message.id), f"format: {error}"))
                    for key in sorted(remaining):
                        found.append((name, key, "missing (run make i18n)"))
    return found


def main(argv):
    command = argv[1] if len(argv) > 1 else "update"
    if command == "update":
        update()
    elif command == "compile":
        for mo in compile_catalogs([unit / "translations" for unit in units()], force=True):
            print(mo.relative_to(ROOT))
    elif command == "check":
        found = problems()
        for name, message, what in found:
            print(f"{name}: {what}: {message!r}")
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
