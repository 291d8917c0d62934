"""The shipped catalogs: a complete language misses nothing marked in the code and holds no
fuzzy entry; catalogs compile to .mo when their .po is newer; French plurals survive merging."""
import os
import time

from core.i18n import COMPLETE, compile_catalogs
from tests.i18n.catalogs import ROOT, i18n_script


def test_every_complete_catalog_translates_every_marked_message_without_fuzzy_entries():
    problems = i18n_script().problems()
    assert COMPLETE == ("fr",)
    assert problems == [], "\n".join(
        f"{name}: {what}: {message!r}" for name, message, what in problems) + (
        "\nRun `make i18n`, then translate the new entries of each .po named above.")


def test_a_catalog_is_compiled_again_when_its_po_changed(tmp_path):
    folder = tmp_path / "translations"
    po_dir = folder / "fr" / "LC_MESSAGES"
    po_dir.mkdir(parents=True)
    source = ROOT / "core" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
    (po_dir / "messages.po").write_bytes(source.read_bytes())
    assert compile_catalogs([folder]) == [po_dir / "messages.mo"]
    assert compile_catalogs([folder]) == []  # up to date
    later = time.time() + 5
    os.utime(po_dir / "messages.po", (later, later))
    assert compile_catalogs([folder]) == [po_dir / "messages.mo"]
    assert not list(po_dir.glob("*.tmp"))
