"""Which addons are available, what they need, and in which order to load them.

Discovered is not installed: this module only reads folders and entry points. The database
records what is installed (`core.lifecycle`), and only installed addons are loaded
(`core.plugins`).
"""
import importlib
import importlib.metadata
import importlib.util
import os
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from core.addon_imports import NAMESPACE, map_addon
from core.errors import DependencyError, ManifestError, UnknownAddon
from core.manifest import Manifest, read_manifest

ENTRY_POINT_GROUP = "comptoir.addons"
BUILTIN_ADDONS = Path(__file__).resolve().parent.parent / "addons"


@dataclass(frozen=True)
class Addon:
    manifest: Manifest
    path: Path

    @property
    def name(self):
        return self.manifest.technical_name

    @property
    def package(self):
        """The one import name, wherever the folder is: `addons.<technical name>`."""
        return f"{NAMESPACE}.{self.name}"

    @property
    def migrations_dir(self):
        versions = self.path / "migrations" / "versions"
        return versions if versions.is_dir() else None

    def import_submodule(self, submodule):
        """Import `<package>.<submodule>` if the addon has that file, else return None."""
        if not (self.path / f"{submodule}.py").exists():
            return None
        return importlib.import_module(f"{self.package}.{submodule}")


class AddonCatalog:
    """The addons available to this instance, by technical name.

    `roots` are folders whose subfolders are addons (default: the built-in `addons/`). Every
    addon found, in a folder or through an entry point, imports as `addons.<name>`.
    """

    def __init__(self, roots=None, entry_points=True):
        if roots is None:
            roots = [BUILTIN_ADDONS]
        found = {}
        for root in roots:
            for folder in sorted(Path(root).iterdir()):
                if (folder / "__manifest__.py").exists():
                    _add(found, Addon(read_manifest(folder.name, folder), folder))
        if entry_points:
            for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                _add(found, _addon_from_entry_point(entry_point))
        self.addons = dict(sorted(found.items()))
        for addon in self.addons.values():
            map_addon(addon.name, addon.path)

    def names(self):
        return list(self.addons)

    def get(self, name) -> Addon:
        try:
            return self.addons[name]
        except KeyError:
            available = ", ".join(self.addons) or "none"
            raise UnknownAddon(f"no addon named {name!r}; available addons: {available}") from None

    def with_dependencies(self, names):
        """`names` plus everything they depend on, directly or not."""
        wanted, stack = set(), list(names)
        while stack:
            name = stack.pop()
            if name in wanted:
                continue
            addon = self.get(name)
            wanted.add(name)
            for dependency in addon.manifest.depends:
                if dependency not in self.addons:
                    raise DependencyError(
                        f"addon {name!r} depends on {dependency!r}, which is not available"
                    )
                stack.append(dependency)
        return wanted

    def ordered(self, names):
        """`names` and their dependencies, dependencies first; alphabetical within a level."""
        wanted = self.with_dependencies(names)
        sorter = TopologicalSorter({n: self.addons[n].manifest.depends for n in wanted})
        try:
            sorter.prepare()
        except CycleError as exc:
            cycle = " -> ".join(exc.args[1])
            raise DependencyError(f"dependency cycle between addons: {cycle}") from None
        order = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready())
            order.extend(ready)
            sorter.done(*ready)
        return order

    def dependents(self, names):
        """The addons that depend on any of `names`, directly or not (not `names` themselves)."""
        names = set(names)
        found = set()
        changed = True
        while changed:
            changed = False
            for addon in self.addons.values():
                if addon.name in found or addon.name in names:
                    continue
                if set(addon.manifest.depends) & (names | found):
                    found.add(addon.name)
                    changed = True
        return found


def _add(found, addon):
    if addon.name in found:
        raise ManifestError(
            f"addon {addon.name!r} is available twice: {found[addon.name].path} and {addon.path}"
        )
    found[addon.name] = addon


def _addon_from_entry_point(entry_point):
    """An entry point `name = package` names an addon package; it is located, not imported
    (it is imported later as `addons.<name>`, never under its distribution's package name)."""
    package = entry_point.value.split(":")[0]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ManifestError(
            f"addon {entry_point.name!r}: entry point {entry_point.value!r} is not a package"
        )
    folder = Path(list(spec.submodule_search_locations)[0])
    return Addon(read_manifest(entry_point.name, folder), folder)


def catalog_from_environment():
    """The catalog the `core` command and the server use.

    `CORE_ADDONS_PATH` (folders separated by `os.pathsep`, each holding addon packages) replaces
    the built-in `addons/` folder, as Odoo's --addons-path does. Entry points of installed
    packages are read unless `CORE_LOAD_ENTRY_POINTS=0` (the test suite sets it).
    """
    roots = None
    extra = os.environ.get("CORE_ADDONS_PATH")
    if extra:
        roots = []
        for folder in filter(None, extra.split(os.pathsep)):
            folder = Path(folder).resolve()
            if not folder.is_dir():
                raise ManifestError(f"CORE_ADDONS_PATH: {folder} is not a folder")
            roots.append(folder)
    return AddonCatalog(roots, entry_points=os.environ.get("CORE_LOAD_ENTRY_POINTS") != "0")
