"""pos_autonomous's public face (see README.md): the hook owners implement to declare syncable
tables is in hookspecs.py; other addons use the names below."""
from .declarations import DeclaredTable, declared_tables
from .till.status import till_status

__all__ = ["DeclaredTable", "declared_tables", "till_status"]
