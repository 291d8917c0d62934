"""The config fields pos_printer adds to the POS config's form, and the printer they name.

- `printer_address`: the network ESC/POS printer, `host` or `host:port` (9100 by default), as
  the till's server reaches it on the shop's network; empty: no printer (the browser prints);
- `printer_columns`: characters per line of its paper and font (42 or 48 on 80 mm paper);
- `printer_drawer_on_cash`: open the cash drawer wired to the printer on a cash payment.
"""
import re
from dataclasses import dataclass

from core import ConfigField
from core.config_fields import declared_fields, read_values
from core.i18n import N_
from core.values import whole_number

FORM = "pos.config"
ADDRESS, COLUMNS, DRAWER = "printer_address", "printer_columns", "printer_drawer_on_cash"
DEFAULT_PORT = 9100
HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


@dataclass(frozen=True)
class Printer:
    host: str
    port: int
    columns: int
    drawer_on_cash: bool

    @property
    def address(self):
        return f"{self.host}:{self.port}"


def parse_address(text):
    """"host" or "host:port" -> (host, port); ValueError in words."""
    text = (text or "").strip()
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    if not HOST.fullmatch(host or ""):
        raise ValueError(f"{text!r} is not a printer address such as 192.168.1.50 or "
                         "printer.local:9100")
    if not port:
        return host, DEFAULT_PORT
    number = whole_number(port, max_digits=5)
    if not number or number > 65535:
        raise ValueError(f"{port!r} is not a TCP port (1 to 65535; printers listen on 9100)")
    return host, number


class AddressField(ConfigField):
    """A printer's address, checked as it is typed in."""

    def clean(self, text):
        value = super().clean(text).strip()
        if value:
            parse_address(value)
        return value


def config_fields():
    return [
        AddressField(ADDRESS, "Receipt printer (host:port)", type="str", default="",
                     max_length=255,
                     help="A network ESC/POS printer as this server reaches it, e.g. "
                          "192.168.1.50 or 192.168.1.50:9100 (9100 by default). The till's "
                          "server prints receipts on it; empty: the browser prints."),
        ConfigField(COLUMNS, N_("Receipt printer columns"), type="int", default=42, min=32,
                    max=64, help=N_("Characters per line: 42 on most 80 mm printers (font A), "
                                 "48 with the smaller font; 32 on 58 mm paper.")),
        ConfigField(DRAWER, N_("Open the cash drawer on a cash payment"), type="bool",
                    default=True, help=N_("The drawer is wired to the receipt printer, which "
                                       "sends it the ESC/POS pulse.")),
    ]


def printer_of(connection, config_id, manager):
    """The config's Printer, or None when it names none."""
    fields = [f for f in declared_fields(manager, FORM) if f.name in (ADDRESS, COLUMNS, DRAWER)]
    values = read_values(connection, FORM, config_id, fields)
    address = (values.get(ADDRESS) or "").strip()
    if not address:
        return None
    host, port = parse_address(address)
    return Printer(host, port, int(values.get(COLUMNS) or 42), bool(values.get(DRAWER)))
