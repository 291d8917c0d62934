"""The pluggy plugin manager: only installed addons are registered, each under its own name."""
import pluggy

from core import hookspecs
from core.errors import CoreError


def make_plugin_manager(addons, spec_addons=None):
    """A plugin manager with the `hooks` module of each addon in `addons` (dependencies first).

    An addon may also declare hooks of its own in a `hookspecs.py` (as `point_of_sale` does for
    the addons that extend it); those of `spec_addons` (default: `addons`) are added before any
    implementation is registered.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    addons = list(addons)
    for addon in (addons if spec_addons is None else spec_addons):
        addon_specs = addon.import_submodule("hookspecs")
        if addon_specs is not None:
            manager.add_hookspecs(addon_specs)
    for addon in addons:
        module = addon.import_submodule("hooks")
        if module is not None:
            manager.register(module, name=addon.name)
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise CoreError(f"addon {manager.get_name(exc.plugin)!r}: {exc}") from None
    return manager


def call_per_addon(manager, hook_name, **kwargs):
    """Call one hook, addons in load order (dependencies first), and return [(addon, result)].

    `manager.hook.<name>()` returns bare results and drops Nones, which loses the owner.
    """
    results = []
    for impl in getattr(manager.hook, hook_name).get_hookimpls():
        result = impl.function(**{name: kwargs[name] for name in impl.argnames})
        if result is not None:
            results.append((impl.plugin_name, result))
    return results


def flatten(manager, hook_name, **kwargs):
    """Call a list-returning hook; return the concatenated lists, dependencies' items first."""
    return [item for _addon, items in call_per_addon(manager, hook_name, **kwargs) for item in items]
