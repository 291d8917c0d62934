"""Talking to a network ESC/POS printer (python-escpos's `Network`): ask its status, then send
what was laid out. Every failure is a `PrinterError` whose code and message say what a person
can do about it.

Before sending, the printer is asked (DLE EOT 1 and DLE EOT 4, real-time status) whether it is
online and has paper. A printer that does not answer within `status_timeout` is sent the job
anyway (some network interfaces do not pass real-time status on); one that answers offline or
out of paper is not sent anything, so the job stays queued and nothing is half printed.
"""
import socket

from escpos.constants import (
    RT_MASK_NOPAPER,
    RT_MASK_ONLINE,
    RT_STATUS_ONLINE,
    RT_STATUS_PAPER,
)
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Network

CONNECT_TIMEOUT_S = 3.0
STATUS_TIMEOUT_S = 1.0


class PrinterError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


def send(printer, data, connect_timeout=CONNECT_TIMEOUT_S, status_timeout=STATUS_TIMEOUT_S,
         needs_paper=True):
    """Send `data` (ESC/POS bytes) to `printer` (settings.Printer) once its status allows
    (a drawer's pulse, `needs_paper=False`, goes out without paper)."""
    device = Network(printer.host, port=printer.port, timeout=connect_timeout)
    try:
        device.open(raise_not_found=True)
    except DeviceNotFoundError:
        raise PrinterError("printer_unreachable", f"The receipt printer at {printer.address} "
                           "does not answer: it is off, unplugged from the network, or its "
                           "address is wrong. Switch it on; the receipt waits in the queue.") \
            from None
    try:
        try:
            device.device.settimeout(status_timeout)
            online = _status(device, RT_STATUS_ONLINE)
            if online is not None and online & RT_MASK_ONLINE:
                raise PrinterError("printer_offline", f"The receipt printer at "
                                   f"{printer.address} is offline (cover open, or an error): "
                                   "close its cover; the receipt waits in the queue.")
            paper = _status(device, RT_STATUS_PAPER) if needs_paper else None
            if paper is not None and paper & RT_MASK_NOPAPER == RT_MASK_NOPAPER:
                raise PrinterError("out_of_paper", f"The receipt printer at {printer.address} "
                                   "is out of paper: put in a new roll; the receipt waits in "
                                   "the queue.")
            device.device.settimeout(connect_timeout)
            device._raw(data)
        except OSError as error:
            raise PrinterError("printer_unreachable", f"The connection to the receipt printer "
                               f"at {printer.address} broke ({error.__class__.__name__}): "
                               "the receipt waits in the queue.") from None
    finally:
        _close(device)


def _status(device, query):
    """The printer's one-byte answer to a real-time status query, or None without one."""
    try:
        answer = device.query_status(query)
    except socket.timeout:
        return None
    if not answer:
        raise OSError("the printer closed the connection")
    return answer[0]


def _close(device):
    sock = device._device or None
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(0.5)
            while sock.recv(64):  # what is left (late status bytes) until the printer closes
                pass
        except OSError:
            pass
        sock.close()
    device._device = False  # closed: python-escpos's own close has nothing left to do
