"""Reading an addon's `__manifest__.py`: a literal dict merged over defaults, checked early."""
import ast
import copy
import functools
import gc
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ManifestError

ADDON_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

DEFAULTS = {
    "name": "",
    "version": "0.1.0",
    "summary": "",
    "depends": [],
    "auto_install": False,
    "demo": [],
}
TYPES = {
    "name": str,
    "version": str,
    "summary": str,
    "depends": list,
    "auto_install": (bool, list),
    "demo": list,
}


@dataclass(frozen=True)
class Manifest:
    technical_name: str
    name: str
    version: str
    summary: str
    depends: tuple = ()
    # The dependencies whose joint presence installs this addon automatically (Odoo semantics:
    # `True` means all of `depends`); empty when the addon is never auto-installed.
    auto_install_triggers: frozenset = field(default_factory=frozenset)
    demo: tuple = ()

    @property
    def auto_install(self):
        return bool(self.auto_install_triggers)


def read_manifest(technical_name: str, addon_dir: Path) -> Manifest:
    """Parse `addon_dir/__manifest__.py` without importing the addon."""
    if not ADDON_NAME.match(technical_name):
        raise ManifestError(
            f"addon {technical_name!r}: folder name must be lowercase letters, digits and _"
        )
    merged = {**DEFAULTS, **_literal_dict(technical_name, addon_dir)}
    _check_types(technical_name, merged)
    depends = merged["depends"]
    _check_depends(technical_name, depends)
    triggers = _auto_install_triggers(technical_name, merged["auto_install"], depends)
    return Manifest(
        technical_name=technical_name,
        name=merged["name"] or technical_name,
        version=merged["version"],
        summary=merged["summary"],
        depends=tuple(depends),
        auto_install_triggers=triggers,
        demo=tuple(merged["demo"]),
    )


@functools.lru_cache(maxsize=256)
def _parsed(text):
    """A manifest's literal, parsed once per text (every Instance reads every manifest). The
    garbage collector waits during the parse: on this machine's CPython 3.11.7 a finalizer run
    by a collection inside the AST's construction (in CI, a pooled connection dropped
    unreturned after its database was dropped) broke it with "SystemError: AST constructor
    recursion depth mismatch"."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return ast.literal_eval(text)
    finally:
        if collecting:
            gc.enable()


def _literal_dict(technical_name, addon_dir):
    """The manifest's dict, read as a literal, holding only known keys."""
    path = addon_dir / "__manifest__.py"
    try:
        data = copy.deepcopy(_parsed(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ManifestError(f"addon {technical_name!r}: no __manifest__.py in {addon_dir}")
    except (ValueError, SyntaxError) as exc:
        raise ManifestError(f"addon {technical_name!r}: __manifest__.py is not a literal dict ({exc})")
    if not isinstance(data, dict):
        raise ManifestError(f"addon {technical_name!r}: __manifest__.py must be a dict")
    unknown = sorted(set(data) - set(DEFAULTS))
    if unknown:
        raise ManifestError(f"addon {technical_name!r}: unknown manifest keys {unknown}")
    return data


def _check_types(technical_name, merged):
    for key, expected in TYPES.items():
        if not isinstance(merged[key], expected):
            raise ManifestError(
                f"addon {technical_name!r}: manifest key {key!r} has the wrong type "
                f"({type(merged[key]).__name__})"
            )


def _check_depends(technical_name, depends):
    if not all(isinstance(dep, str) for dep in depends):
        raise ManifestError(f"addon {technical_name!r}: 'depends' must list addon names")
    if technical_name in depends:
        raise ManifestError(f"addon {technical_name!r}: depends on itself")


def _auto_install_triggers(technical_name, auto_install, depends):
    if auto_install is True:
        if not depends:
            raise ManifestError(
                f"addon {technical_name!r}: auto_install needs at least one dependency"
            )
        return frozenset(depends)
    if auto_install is False:
        return frozenset()
    outside = sorted(set(auto_install) - set(depends))
    if outside:
        raise ManifestError(
            f"addon {technical_name!r}: auto_install triggers {outside} are not in 'depends'"
        )
    return frozenset(auto_install)
