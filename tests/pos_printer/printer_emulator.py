"""A receipt printer that is real on the wire: a TCP server on loopback that answers the
real-time status queries (DLE EOT 1 and 4) as an Epson printer does, records every byte each
connection sent, and can be switched off (its port refuses connections) and on again on the
same port, run out of paper or go offline (cover open). `decode` reads the recorded ESC/POS
back into text lines, barcodes, cuts and drawer pulses."""
import socket
import threading
from dataclasses import dataclass, field

from escpos.capabilities import get_profile

ESC, GS, DLE, EOT, LF = 0x1B, 0x1D, 0x10, 0x04, 0x0A
ONLINE, OFFLINE = 0x12, 0x1A  # DLE EOT 1: bit 3 set while offline
PAPER, NO_PAPER = 0x12, 0x72  # DLE EOT 4: bits 5 and 6 set at the paper's end


class PrinterEmulator:
    def __init__(self):
        self.port = None
        self.jobs = []  # the bytes of each connection, once it closed
        self.paper = True
        self.online = True
        self._server = None
        self._thread = None
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port or 0))
        server.listen(8)
        self.port = server.getsockname()[1]
        self._server = server
        self._thread = threading.Thread(target=self._serve, args=(server,), daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Switch it off: the port refuses connections until `start` again."""
        server, self._server = self._server, None
        if server is not None:
            try:
                server.shutdown(socket.SHUT_RDWR)  # wakes the accept() (a close alone does not)
            except OSError:
                pass
            server.close()
            self._thread.join(5)
            assert not self._thread.is_alive()

    def received(self):
        with self._lock:
            return b"".join(self.jobs)

    def _serve(self, server):
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=self._talk, args=(connection,), daemon=True).start()

    def _talk(self, connection):
        data, answered = bytearray(), 0
        connection.settimeout(10)
        try:
            while True:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                data += chunk
                while True:  # answer the status queries (they may arrive with other bytes)
                    at = data.find(bytes([DLE, EOT]), answered)
                    if at < 0 or at + 2 >= len(data):
                        break
                    answer = (ONLINE if self.online else OFFLINE) if data[at + 2] == 1 else (
                        PAPER if self.paper else NO_PAPER)
                    connection.sendall(bytes([answer]))
                    answered = at + 3
        except OSError:
            pass
        finally:
            connection.close()
            with self.changed:
                self.jobs.append(bytes(data))
                self.changed.notify_all()


@dataclass
class Decoded:
    lines: list = field(default_factory=list)
    barcodes: list = field(default_factory=list)  # (type, data)
    cuts: int = 0
    pulses: list = field(default_factory=list)  # (pin, on ms, off ms)
    status_queries: list = field(default_factory=list)

    @property
    def text(self):
        return "\n".join(self.lines)


def _codecs():
    pages = get_profile().profile_data["codePages"]
    return {int(number): name.lower() for number, name in pages.items()
            if name.lower().startswith("cp")}


ARGUMENTS = {  # ESC/GS commands and how many argument bytes follow them
    (ESC, ord("@")): 0, (ESC, ord("!")): 1, (ESC, ord("E")): 1, (ESC, ord("a")): 1,
    (ESC, ord("-")): 1, (ESC, ord("M")): 1, (ESC, ord("G")): 1, (ESC, ord("2")): 0,
    (ESC, ord("3")): 1, (ESC, ord("{")): 1, (ESC, ord("V")): 1, (ESC, ord("d")): 1,
    (GS, ord("!")): 1, (GS, ord("B")): 1, (GS, ord("h")): 1, (GS, ord("w")): 1,
    (GS, ord("f")): 1, (GS, ord("H")): 1, (GS, ord("b")): 1,
}


def decode(data):
    """Read ESC/POS bytes back: text lines (in the code page selected), barcodes, cuts,
    drawer pulses. Raises ValueError on a command it does not know, so that nothing the printer
    would do goes unseen."""
    codecs, codec = _codecs(), "cp437"
    found, text, i = Decoded(), bytearray(), 0
    while i < len(data):
        byte = data[i]
        if byte == LF:
            found.lines.append(text.decode(codec).rstrip())
            text = bytearray()
            i += 1
        elif byte == DLE and data[i + 1] == EOT:
            found.status_queries.append(data[i + 2])
            i += 3
        elif byte == ESC and data[i + 1] == ord("t"):
            codec = codecs[data[i + 2]]
            i += 3
        elif byte == ESC and data[i + 1] == ord("p"):
            found.pulses.append((data[i + 2], data[i + 3] * 2, data[i + 4] * 2))
            i += 5
        elif byte == GS and data[i + 1] == ord("V"):
            found.cuts += 1
            i += 4 if data[i + 2] in (65, 66) else 3
        elif byte == GS and data[i + 1] == ord("k"):
            kind = data[i + 2]
            if kind >= 65:
                length = data[i + 3]
                found.barcodes.append((kind, data[i + 4:i + 4 + length].decode("ascii")))
                i += 4 + length
            else:
                end = data.index(0, i + 3)
                found.barcodes.append((kind, data[i + 3:end].decode("ascii")))
                i = end + 1
        elif byte in (ESC, GS):
            command = (byte, data[i + 1])
            if command not in ARGUMENTS:
                raise ValueError(f"unknown ESC/POS command {bytes(command)!r} at byte {i}")
            i += 2 + ARGUMENTS[command]
        else:
            text.append(byte)
            i += 1
    if text:
        found.lines.append(text.decode(codec).rstrip())
    return found
