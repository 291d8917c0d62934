"""Helpers of the translation tests: scripts/i18n.py as a module, and a pseudo-locale whose
every translation is its English text in ⟦brackets⟧, to find text nobody marked."""
import importlib.util
import re
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PSEUDO = "eo"  # Esperanto's code: a locale Babel and browsers know, with no catalog here
OPEN, CLOSE = "⟦", "⟧"


def i18n_script():
    spec = importlib.util.spec_from_file_location("comptoir_i18n_script",
                                                  ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_pseudo_catalogs(folder):
    """`folder`/eo/LC_MESSAGES/{messages,js}.mo: every message marked in the kernel and the
    addons, translated as ⟦its English⟧ (plural forms too). Returns the folder."""
    script = i18n_script()
    with tempfile.TemporaryDirectory() as temporary:
        for domain in script.MAPPINGS:
            merged = None
            for unit in script.units():
                pot = Path(temporary) / f"{unit.name}-{domain}.pot"
                script.extract(unit, domain, pot)
                with pot.open("rb") as source:
                    catalog = read_po(source, locale=PSEUDO)
                if merged is None:
                    merged = catalog
                else:
                    for message in catalog:
                        if message.id:
                            merged[message.id] = message
            for message in merged:
                if not message.id:
                    continue
                if isinstance(message.id, tuple):
                    message.string = tuple(OPEN + form + CLOSE for form in message.id)
                else:
                    message.string = OPEN + message.id + CLOSE
            target = Path(folder) / PSEUDO / "LC_MESSAGES" / f"{domain}.mo"
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                write_mo(out, merged)
    return Path(folder)


BRACKETED = re.compile(re.escape(OPEN) + r"[^" + re.escape(CLOSE) + r"]*" + re.escape(CLOSE))


def unmarked(texts, allowed=()):
    """The texts that still hold a word once every ⟦translated⟧ part and every `allowed` text
    (data: names, references, amounts) is taken out."""
    left = []
    for text in texts:
        if text.strip() and any(text.strip() in value for value in allowed):
            continue  # a piece of a data text (the parser splits text around entities)
        rest = BRACKETED.sub(" ", text)
        for value in sorted(allowed, key=len, reverse=True):
            if value:
                rest = rest.replace(value, " ")
        if re.search(r"[^\W\d_]{2,}", rest):
            left.append(text.strip())
    return left


def english_words(language="fr"):
    """The words of the English messages that the `language` translations never use: on a page
    in that language, any of them is English a person was not meant to read."""
    english, translated = set(), set()
    for po in sorted(ROOT.glob(f"*/translations/{language}/LC_MESSAGES/*.po")) + sorted(
            ROOT.glob(f"addons/*/translations/{language}/LC_MESSAGES/*.po")):
        with po.open("rb") as source:
            catalog = read_po(source, locale=language)
        for message in catalog:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in ids:
                english |= set(WORD.findall(PLACEHOLDER.sub(" ", text).lower()))
            for text in strings:
                translated |= set(WORD.findall(PLACEHOLDER.sub(" ", text or "").lower()))
    return english - translated


WORD = re.compile(r"[a-z]{3,}")
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)[sd]")


def english_on(text, words, data=()):
    """The words of `words` found in `text` (a page's visible text), data words left out."""
    allowed = {word for value in data for word in WORD.findall(value.lower())}
    return sorted({word for word in WORD.findall(text.lower()) if word in words} - allowed)
