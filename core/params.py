"""System parameters (Odoo's ir.config_parameter): declared keys with typed values.

Every key is declared, with its type, default, description and owning addon: the kernel's in
the root `system_parameters.yaml`, each addon's in the `system_parameters.yaml` beside its
`__manifest__.py` (or by its `register_system_parameters` hook). Undeclared keys are refused, so
a typo cannot silently create a parameter nobody reads.
"""
import functools
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import bindparam, delete, select

from core import values
from core.db import upsert
from core.errors import ParameterError
from core.models import Parameter

# The root file, the kernel's keys only, linked from core/ so that it ships in the wheel too.
DECLARATIONS_FILE = Path(__file__).resolve().parent / "system_parameters.yaml"
KERNEL = "core"
ADDON_FILE = "system_parameters.yaml"  # an addon's own, beside its __manifest__.py


@dataclass(frozen=True)
class ParameterSpec:
    key: str
    type: str
    default: object
    description: str
    addon: str
    generated: bool = False  # seeded with a fresh random value instead of the default

    @property
    def default_text(self):
        return values.to_text(self.type, self.default)

    @property
    def secret(self):
        return self.type == "secret"


def spec_from_dict(entry, source):
    try:
        spec = ParameterSpec(
            key=entry["key"], type=entry.get("type", "str"), default=entry.get("default", ""),
            description=entry.get("description", ""), addon=entry["addon"],
            generated=bool(entry.get("generated", False)),
        )
    except (KeyError, TypeError) as exc:
        raise ParameterError(f"{source}: a parameter entry lacks {exc}: {entry!r}") from None
    if not spec.key.startswith(spec.addon + "."):
        raise ParameterError(f"{source}: key {spec.key!r} must start with its addon {spec.addon!r}.")
    try:
        values.to_text(spec.type, spec.default)
    except ValueError as exc:
        raise ParameterError(f"{source}: {spec.key}: bad default: {exc}") from None
    return spec


@functools.lru_cache(maxsize=8)
def _declared_in_file(path):
    return tuple(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or [])


def addon_entries(addon):
    """(source, entry) of what `addon` (core.addons.Addon) declares in its own file; each
    entry's `addon` is the addon's name (it may be left out) and no other."""
    path = Path(addon.path) / ADDON_FILE
    if not path.is_file():
        return []
    return [(str(path), _owned_by(entry, addon.name, path)) for entry in _declared_in_file(path)]


def _owned_by(entry, owner, source):
    if not isinstance(entry, dict):
        raise ParameterError(f"{source}: a parameter entry must be a mapping, not {entry!r}")
    entry = dict(entry)  # the file's entries are cached: never altered
    if entry.setdefault("addon", owner) != owner:
        raise ParameterError(f"{source}: {entry.get('key')!r} is declared for addon "
                             f"{entry['addon']!r}; a file declares its own addon's keys only")
    return entry


def load_declarations(path=DECLARATIONS_FILE, extra=(), addons=()):
    """Read the kernel's declarations, those of `addons` (their files beside their manifests)
    and `extra` dicts (the register_system_parameters hook); return {key: ParameterSpec}."""
    specs = {}
    entries = [(str(path), _owned_by(e, KERNEL, path)) for e in _declared_in_file(path)]
    for addon in addons:
        entries += addon_entries(addon)
    entries += [("hook", e) for e in extra]
    for source, entry in entries:
        spec = spec_from_dict(entry, source)
        if spec.key in specs:
            raise ParameterError(f"{source}: parameter {spec.key!r} is declared twice")
        specs[spec.key] = spec
    return specs


# Built once: a route that reads a parameter per request (the order push's approval rule)
# spent more building this statement than running it.
STORED_VALUE = select(Parameter.__table__.c.value).where(
    Parameter.__table__.c.key == bindparam("key"))


class SystemParameters:
    """Typed access to the parameters, through one SQLAlchemy connection."""

    def __init__(self, connection, specs):
        self.connection = connection
        self.specs = specs

    def spec(self, key):
        try:
            return self.specs[key]
        except KeyError:
            raise ParameterError(
                f"unknown system parameter {key!r}; `core param list` shows the declared keys"
            ) from None

    def raw(self, key):
        """The stored text, or the declared default's text."""
        spec = self.spec(key)
        stored = self.connection.scalar(STORED_VALUE, {"key": key})
        return spec.default_text if stored is None else stored

    def get(self, key):
        spec = self.spec(key)
        try:
            return values.parse(spec.type, self.raw(key))
        except ValueError as exc:
            raise ParameterError(f"system parameter {key!r} holds a bad value: {exc}") from None

    def set(self, key, value):
        """Validate and store `value` (text or a Python value); return the stored text."""
        spec = self.spec(key)
        try:
            text = values.to_text(spec.type, value)
        except ValueError as exc:
            raise ParameterError(f"{key}: {exc}") from None
        upsert(self.connection, Parameter.__table__, {"key": key}, {"value": text})
        return text

    def items(self, addons=None):
        """(spec, current text) for every declared key, optionally of the given addons only."""
        return [(spec, self.raw(key)) for key, spec in sorted(self.specs.items())
                if addons is None or spec.addon in addons]

    def seed(self, addon):
        """Store the defaults of `addon`'s keys that have no value yet; keys declared
        `generated` (the secret keys) get a fresh random value."""
        for key, spec in self.specs.items():
            if spec.addon != addon:
                continue
            if self.connection.scalar(select(Parameter.key).where(Parameter.key == key)):
                continue
            text = secrets.token_hex(32) if spec.generated else spec.default_text
            self.connection.execute(Parameter.__table__.insert().values(key=key, value=text))

    def forget(self, addon):
        """Delete the stored values of `addon`'s keys (on uninstall)."""
        keys = [key for key, spec in self.specs.items() if spec.addon == addon]
        if keys:
            self.connection.execute(delete(Parameter).where(Parameter.key.in_(keys)))


def audit_parameter_change(connection, manager, spec, before, after):
    """Tell the addons' `audit_event` hooks that a parameter changed (a secret's values
    hidden), in the transaction that changed it."""
    if before == after:
        return
    hidden = "(hidden)"
    manager.hook.audit_event(connection=connection, kind="parameter_change", details={
        "key": spec.key, "before": hidden if spec.secret else before,
        "after": hidden if spec.secret else after})
