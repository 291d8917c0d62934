"""One import name per addon, wherever it lives: `addons.<technical name>`.

Addons import each other as `from addons.point_of_sale import X` (Odoo's `odoo.addons.<name>`
is the model). The built-in folder is the `addons` package itself; an addon found in a
`CORE_ADDONS_PATH` folder or shipped by a package's entry point is mapped to that name by the
finder below, which the catalog feeds (`core.addons`). So a copied or third-party addon is
imported once, under the same name as everywhere else, and its models are defined once.
"""
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

NAMESPACE = "addons"


class AddonFinder:
    """A `sys.meta_path` finder: `addons.<name>` is the folder the catalog found for `<name>`.

    Submodules (`addons.<name>.models`) are found by the ordinary machinery through the
    package's `__path__`, i.e. in that same folder.
    """

    def __init__(self):
        self.folders = {}

    def map(self, name, folder):
        """Make `addons.<name>` import from `folder`. A name moved to another folder (tests build
        catalogs over throwaway folders) forgets the modules imported from the old one."""
        folder = Path(folder).resolve()
        if self.folders.get(name) == folder:
            return
        self.folders[name] = folder
        package = f"{NAMESPACE}.{name}"
        loaded = sys.modules.get(package)
        if loaded is not None and _folder_of(loaded) != folder:
            for module in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
                del sys.modules[module]

    def find_spec(self, fullname, path=None, target=None):
        namespace, _, name = fullname.partition(".")
        if namespace != NAMESPACE or not name or "." in name or name not in self.folders:
            return None
        folder = self.folders[name]
        init = folder / "__init__.py"
        if init.exists():
            return importlib.util.spec_from_file_location(
                fullname, init, submodule_search_locations=[str(folder)])
        # A folder without __init__.py (only a manifest, say) is a namespace package.
        spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
        spec.submodule_search_locations = [str(folder)]
        return spec

    def invalidate_caches(self):
        pass


def _folder_of(module):
    paths = list(getattr(module, "__path__", []) or [])
    return Path(paths[0]).resolve() if paths else None


FINDER = AddonFinder()


def map_addon(name, folder):
    """Let `addons.<name>` import from `folder` (installs the finder on first use)."""
    if FINDER not in sys.meta_path:
        sys.meta_path.insert(0, FINDER)
    FINDER.map(name, folder)
