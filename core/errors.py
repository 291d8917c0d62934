"""Errors the kernel raises on purpose: each message is one line a person can act on."""


class CoreError(Exception):
    """Base class; the `core` command prints the message and exits non-zero."""


class ManifestError(CoreError):
    pass


class DependencyError(CoreError):
    pass


class UnknownAddon(CoreError):
    pass


class MigrationError(CoreError):
    pass


class ParameterError(CoreError):
    pass
