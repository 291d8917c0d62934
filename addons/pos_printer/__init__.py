"""pos_printer's public face: what other addons may use, as `from addons.pos_printer import X`.

- `printer_of(connection, config_id, manager)`: the config's `Printer` (host, port, columns,
  drawer_on_cash) or None when it names no printer;
- `print_order(engine, manager, config_id, order_uuid, copy=1)` and
  `print_report(engine, manager, config_id, session_id, copy=1)`: queue the receipt (laid out
  once) and try to print it now -> `PrintOutcome(status, job_id, error)`; status `printed`,
  `already_printed` (that order's copy was printed before: nothing is sent) or `queued`
  (the printer is off, out of paper or unreachable: `error` says which; the queue retries);
- `retry_queue(engine, config_id)`: send the config's queued jobs, oldest first;
- `open_drawer(engine, config_id, printer, reason, ...)`: the drawer's pulse, journaled;
- `PrinterError(code, message)`: `printer_unreachable`, `printer_offline`, `out_of_paper`.

Every other module of this package is private.
"""
from .device import PrinterError
from .drawer import open_drawer
from .jobs import PrintOutcome, print_order, print_report, retry_queue
from .settings import Printer, printer_of

__all__ = ["PrinterError", "open_drawer", "PrintOutcome", "print_order", "print_report",
           "retry_queue", "Printer", "printer_of"]
