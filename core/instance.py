"""An instance: one database plus the addons available to it, and the install lifecycle.

Lifecycle, as in Odoo's loader, one transaction per addon so a failure leaves that addon as it
was (PostgreSQL and, thanks to `core.db`, SQLite both roll back DDL):
  install:   STEP 1 resolve dependencies and auto-install addons, in dependency order
             STEP 2 per addon: migrations (`<addon>@head`), parameter defaults, post_install
                    hook, demo data, state `installed`
  uninstall: STEP 1 add every installed addon that depends on the ones named
             STEP 2 per addon, dependents first: pre_uninstall hook, migrations down to
                    `<addon>@base` (its tables are dropped), its parameters and settings, state
                    `uninstalled`
"""
import weakref
from pathlib import Path

import yaml
from sqlalchemy import MetaData, inspect, select, text

from core import config_fields, schema
from core.addons import catalog_from_environment
from core.db import database_name, make_engine, migrating, resolve_url, upsert
from core.errors import CoreError, MigrationError
from core.models import INSTALLED, UNINSTALLED, AddonState, utc_now
from core.params import SystemParameters, load_declarations
from core.plugins import flatten, make_plugin_manager


class Instance:
    def __init__(self, url=None, catalog=None):
        self.url = resolve_url(url)
        self.engine = make_engine(self.url)
        self.catalog = catalog if catalog is not None else catalog_from_environment()
        self.db_name = database_name(self.url)
        self._specs_by_manager = weakref.WeakKeyDictionary()  # see parameter_specs

    # -- reading ----------------------------------------------------------------------------

    def is_initialised(self):
        return inspect(self.engine).has_table(AddonState.__tablename__)

    def installed(self):
        """{name: version} of installed addons."""
        if not self.is_initialised():
            return {}
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(AddonState.name, AddonState.version).where(AddonState.state == INSTALLED))
            return dict(rows.all())

    def loadable_addons(self):
        """The installed addons that are available, dependencies first."""
        names = [name for name in self.installed() if name in self.catalog.addons]
        return [self.catalog.addons[name] for name in self.catalog.ordered(names)]

    def plugin_manager(self):
        return make_plugin_manager(self.loadable_addons())

    def addon_plugin_manager(self, addon):
        """A manager with only `addon`'s hooks (to run its install hooks alone), knowing the hook
        specs its dependencies declare."""
        lineage = [self.catalog.addons[name] for name in self.catalog.ordered([addon.name])]
        return make_plugin_manager([addon], spec_addons=lineage)

    def parameter_specs(self, manager=None):
        """{key: ParameterSpec}; kept per plugin manager while the catalog holds the same addons
        (a request reading a parameter then costs one query, not every declaration checked
        again: an app's manager is rebuilt when its addons change)."""
        if manager is None:
            return self._load_specs(self.plugin_manager())
        addons = tuple(self.catalog.addons.values())
        known = self._specs_by_manager.get(manager)
        if known is None or len(known[0]) != len(addons) \
                or any(a is not b for a, b in zip(known[0], addons)):
            known = self._specs_by_manager[manager] = (addons, self._load_specs(manager))
        return known[1]

    def _load_specs(self, manager):
        return load_declarations(extra=flatten(manager, "register_system_parameters"),
                                 addons=self.catalog.addons.values())

    def parameters(self, connection, manager=None):
        return SystemParameters(connection, self.parameter_specs(manager))

    def schema_problems(self, name):
        """What is wrong with an installed addon's schema: tables outside its `<addon>_` prefix,
        and differences between its models and what its migrations built."""
        addon = self.catalog.get(name)
        models = flatten(self.addon_plugin_manager(addon), "register_models")
        tables = [getattr(model, "__table__", model) for model in models]
        problems = [f"table {t.name!r} does not start with '{name}_'"
                    for t in tables if not t.name.startswith(name + "_")]
        with self.engine.connect() as connection:
            problems += [f"migrations and models differ: {difference}"
                         for difference in schema.model_differences(connection, tables)]
        return problems

    # -- lifecycle --------------------------------------------------------------------------

    def init(self):
        """Create or upgrade the kernel's own tables and seed its parameters. Idempotent."""
        with self.engine.begin() as connection:
            schema.upgrade_branch(connection, self.catalog, schema.KERNEL_BRANCH)
            SystemParameters(connection, load_declarations()).seed("core")

    def plan_install(self, names):
        """The addons `core install names` would install, in order (auto-installs included)."""
        installed = set(self.installed())
        plan = set(self.catalog.ordered(names)) - installed
        while True:
            present = installed | plan
            triggered = {a.name for a in self.catalog.addons.values()
                         if a.name not in present and a.manifest.auto_install
                         and a.manifest.auto_install_triggers <= present
                         and a.manifest.auto_install_triggers & plan}
            if not triggered:
                return [name for name in self.catalog.ordered(plan) if name not in installed]
            plan |= set(self.catalog.ordered(triggered)) - installed

    def install(self, names, demo=False, progress=lambda message: None):
        self.init()
        plan = self.plan_install(names)
        if plan:
            self._refuse_config_field_collisions(plan)
        for name in plan:
            progress(f"installing {name}")
            self._run_step(name, "install", lambda connection, name=name: self._install_one(
                connection, name, demo))
        return plan

    def plan_uninstall(self, names):
        """The installed addons `core uninstall names` would remove, dependents first."""
        installed = set(self.installed())
        for name in names:
            self.catalog.get(name)
            if name not in installed:
                raise CoreError(f"addon {name!r} is not installed")
        doomed = (set(names) | self.catalog.dependents(names)) & installed
        return [name for name in reversed(self.catalog.ordered(doomed)) if name in doomed]

    def uninstall(self, names, progress=lambda message: None):
        plan = self.plan_uninstall(names)
        for name in plan:
            progress(f"uninstalling {name}")
            self._run_step(name, "uninstall", lambda connection, name=name: self._uninstall_one(
                connection, name))
        return plan

    def upgrade(self, progress=lambda message: None):
        """Apply pending revisions of the kernel and every installed addon, in order."""
        self.init()
        installed = self.installed()
        missing = sorted(set(installed) - set(self.catalog.addons))
        if missing:
            raise CoreError(f"installed addons are no longer available: {', '.join(missing)}")
        script = schema.script_directory(self.catalog)
        done = []
        for addon in self.loadable_addons():
            with self.engine.connect() as connection:
                pending = (schema.pending_revisions(connection, script, addon.name)
                           if schema.has_branch(script, addon.name) else [])
            if not pending and installed[addon.name] == addon.manifest.version:
                continue
            progress(f"upgrading {addon.name} ({len(pending)} revision(s))")
            self._run_step(addon.name, "upgrade", lambda connection, a=addon: self._upgrade_one(
                connection, a))
            done.append(addon.name)
        return done

    def _refuse_config_field_collisions(self, plan):
        """Before anything is installed: the fields of the installed addons plus `plan` must
        not take each other's names, nor their forms' own keys."""
        names = [a.name for a in self.loadable_addons()] + list(plan)
        addons = [self.catalog.addons[name] for name in self.catalog.ordered(names)]
        problems = config_fields.collisions(make_plugin_manager(addons))
        if problems:
            raise config_fields.ConfigFieldCollision(
                f"cannot install {', '.join(plan)}: " + "; ".join(problems))

    # -- one addon, inside one transaction ---------------------------------------------------

    def _run_step(self, name, verb, step):
        try:
            with migrating(self.engine) as connection:
                step(connection)
        except CoreError:
            raise
        except Exception as exc:  # a migration or hook failed: report it on one line
            detail = " ".join(str(exc).split())[:500]
            raise MigrationError(
                f"{verb} of {name!r} failed and was rolled back: {type(exc).__name__}: {detail}"
            ) from exc

    def _install_one(self, connection, name, demo):
        addon = self.catalog.get(name)
        schema.upgrade_branch(connection, self.catalog, name)
        manager = self.addon_plugin_manager(addon)
        self.parameters(connection, manager).seed(name)
        manager.hook.post_install(connection=connection)
        if demo:
            self._load_demo(connection, addon, manager)
        self._set_state(connection, name, INSTALLED, addon.manifest.version)

    def _uninstall_one(self, connection, name):
        addon = self.catalog.get(name)
        manager = self.addon_plugin_manager(addon)
        manager.hook.pre_uninstall(connection=connection)
        schema.downgrade_branch(connection, self.catalog, name)
        self.parameters(connection, manager).forget(name)
        config_fields.forget_values(connection, name)
        self._set_state(connection, name, UNINSTALLED, addon.manifest.version)

    def _upgrade_one(self, connection, addon):
        schema.upgrade_branch(connection, self.catalog, addon.name)
        self.parameters(connection, self.addon_plugin_manager(addon)).seed(addon.name)
        self._set_state(connection, addon.name, INSTALLED, addon.manifest.version)

    def _load_demo(self, connection, addon, manager):
        """Demo files are YAML mappings {table: [row, ...]}; the hook covers computed data."""
        metadata = MetaData()
        metadata.reflect(connection)
        for relative in addon.manifest.demo:
            data = yaml.safe_load((Path(addon.path) / relative).read_text(encoding="utf-8")) or {}
            for table_name, rows in data.items():
                if table_name not in metadata.tables:
                    raise CoreError(f"{addon.name}: demo file {relative} names unknown table "
                                    f"{table_name!r}")
                connection.execute(metadata.tables[table_name].insert(), rows)
                _advance_id_sequence(connection, metadata.tables[table_name])
        manager.hook.load_demo_data(connection=connection)

    @staticmethod
    def _set_state(connection, name, state, version):
        upsert(connection, AddonState.__table__, {"name": name},
               {"state": state, "version": version, "changed_at": utc_now()})


def _advance_id_sequence(connection, table):
    """Demo rows carry explicit ids (other rows refer to them); on PostgreSQL the id sequence
    must then move past them, or the next ordinary insert would reuse id 1."""
    if connection.dialect.name != "postgresql" or "id" not in table.c:
        return
    connection.execute(text(
        "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
        f'(SELECT COALESCE(MAX(id), 1) FROM "{table.name}"))'), {"table": table.name})
