"""Fiscal archives: one ZIP file per config and period (a year or a month) holding the period's
tickets, closings and journal of events as CSV and JSON, a manifest with each part's SHA-256,
and an Ed25519 signature of the manifest by this instance's archive key.

    manifest.json       what the archive holds: config, period, bounds, each part's sha256
                        and size, the ticket and journal ranges, the public key
    manifest.sig        the Ed25519 signature of manifest.json's bytes (64 raw bytes)
    public_key.pem      the instance's archive public key (also in the manifest, hex)
    tickets.json/.csv   the config's sealed tickets of the period (orders and session
                        closings) with their numbers, links and records as sealed
    closings.json/.csv  the periodic closings (daily, monthly, yearly) of the period, the
                        config's and its establishment's
    journal.json/.csv   every event of the instance's journal in the period (a contiguous run
                        of its chain, so that the chain can be checked)
    README.txt          how to check it with standard tools (docs/fiscal.md says more)

`verify_archive(path)` needs no database: it checks the signature, each part against the
manifest, and the ticket and journal chains inside it, and says what differs. The key is the
system parameter `point_of_sale.archive_key` (32 random bytes in hex, generated at install):
its public half is printed by `core pos archive key` so it can be kept apart from the archives.
"""
import csv
import hashlib
import io
import json
import zipfile
import zlib
from datetime import date, datetime, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import select

from core.errors import CoreError

from .journal import EVENT, LOCAL, event_json, record_event, utc_text, verify_events
from .ledger_form import canonical_form, chain_link
from .ledger_seal import ENTRY, ledger_entries
from .models import PosConfig
from .periodic import closings_of_config, day_bounds

FORMAT = "comptoir-fiscal-archive/1"
KEY_PARAMETER = "point_of_sale.archive_key"
ARCHIVE = "archive"  # the journal event of an archive made
PARTS = ("tickets.json", "tickets.csv", "closings.json", "closings.csv", "journal.json",
         "journal.csv", "README.txt")
SIGNED = ("manifest.json", "manifest.sig", "public_key.pem")
ZERO_LINK = "0" * 64


class ArchiveError(CoreError):
    pass


# -- the key -----------------------------------------------------------------------------------

def private_key(parameters):
    text = parameters.get(KEY_PARAMETER)
    try:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(text))
    except ValueError:
        raise ArchiveError(f"{KEY_PARAMETER} must be 64 hex digits (32 bytes)") from None


def public_hex(key):
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw).hex()


def public_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


# -- the period --------------------------------------------------------------------------------

def period_bounds(period, zone, hour):
    """(start, end) in UTC of a period `2026` or `2026-03` (business days: closing hour and
    time zone as the periodic closings count them)."""
    try:
        if len(period) == 4:
            first, last = date(int(period), 1, 1), date(int(period) + 1, 1, 1)
        elif len(period) == 7 and period[4] == "-":
            year, month = int(period[:4]), int(period[5:])
            first = date(year, month, 1)
            last = date(year + (month == 12), month % 12 + 1, 1)
        else:
            raise ValueError
    except ValueError:
        raise ArchiveError(f"--period {period!r} must be a year (2026) or a month "
                           "(2026-03)") from None
    return day_bounds(first, zone, hour)[0], day_bounds(last, zone, hour)[0]


# -- making one --------------------------------------------------------------------------------

def make_archive(connection, config_id, period, zone, hour, key, instance_name,
                 now=None):
    """The archive's bytes (a ZIP) of `config_id` for `period`; the `archive` event is
    recorded in `connection`'s transaction. Returns (bytes, manifest)."""
    config = connection.execute(select(PosConfig).where(PosConfig.id == config_id)).first()
    if config is None:
        raise ArchiveError(f"no POS config with id {config_id}")
    start, end = period_bounds(period, zone, hour)
    tickets = _tickets(connection, config_id, start, end)
    periodic = [c for c in closings_of_config(connection, config_id)
                if _in_period(c["details"]["period"], period)]
    events = _events(connection, start, end)
    parts = {
        "tickets.json": _json(tickets),
        "tickets.csv": _csv(TICKET_COLUMNS, [_ticket_row(t) for t in tickets]),
        "closings.json": _json(periodic),
        "closings.csv": _csv(CLOSING_COLUMNS, [_closing_row(c) for c in periodic]),
        "journal.json": _json(events),
        "journal.csv": _csv(EVENT_COLUMNS, [_event_row(e) for e in events]),
        "README.txt": README.encode("utf-8"),
    }
    manifest = {
        "format": FORMAT, "instance": instance_name,
        "config": {"id": config.id, "name": config.name, "shop_name": config.shop_name,
                   "shop_address": config.shop_address, "vat_number": config.vat_number},
        "period": period, "from": utc_text(start), "to": utc_text(end),
        "time_zone": zone.key, "closing_hour": hour,
        "made_at": utc_text(now or datetime.now(timezone.utc)),
        "tickets": _range(tickets), "journal": _range(events),
        "closings": len(periodic),
        "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                  for name, data in parts.items()},
        "public_key": public_hex(key), "signature": "Ed25519 over manifest.json's bytes",
    }
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True,
                                ensure_ascii=False).encode("utf-8") + b"\n"
    signature = key.sign(manifest_bytes)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", manifest_bytes)
        archive.writestr("manifest.sig", signature)
        archive.writestr("public_key.pem", public_pem(key))
        for name, data in parts.items():
            archive.writestr(name, data)
    data = buffer.getvalue()
    record_event(connection, ARCHIVE, config_id, period=period,
                 sha256=hashlib.sha256(data).hexdigest(),
                 manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
                 tickets=manifest["tickets"], journal=manifest["journal"],
                 closings=len(periodic))
    return data, manifest


def _in_period(closing_period, period):
    """A year's archive holds its dailies, monthlies and yearly; a month's its dailies and
    monthly."""
    return closing_period.startswith(period)


def _tickets(connection, config_id, start, end):
    """The config's entries sealed in [start, end), as a contiguous run of its chain."""
    numbers = connection.execute(select(ENTRY.c.number).where(
        ENTRY.c.config_id == config_id, ENTRY.c.sealed_at >= _stored(connection, start),
        ENTRY.c.sealed_at < _stored(connection, end)).order_by(ENTRY.c.number)).scalars().all()
    if not numbers:
        return []
    found, after = [], numbers[0] - 1
    while after < numbers[-1]:
        page = ledger_entries(connection, config_id, after, min(500, numbers[-1] - after))
        if not page:
            break
        found += page
        after = page[-1]["number"]
    return found


def _events(connection, start, end):
    numbers = connection.execute(select(EVENT.c.number).where(
        EVENT.c.chain == LOCAL, EVENT.c.at >= _stored(connection, start),
        EVENT.c.at < _stored(connection, end)).order_by(EVENT.c.number)).scalars().all()
    if not numbers:
        return []
    rows = connection.execute(select(EVENT).where(
        EVENT.c.chain == LOCAL, EVENT.c.number >= numbers[0], EVENT.c.number <= numbers[-1])
        .order_by(EVENT.c.number)).all()
    return [event_json(row) for row in rows]


def _stored(connection, moment):
    if connection.dialect.name == "sqlite":
        return moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _range(items):
    if not items:
        return {"count": 0, "first": None, "last": None, "previous_link": None,
                "last_link": None}
    return {"count": len(items), "first": items[0]["number"], "last": items[-1]["number"],
            "previous_link": items[0]["previous_link"], "last_link": items[-1]["link"]}


def _json(value):
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")


def _csv(columns, rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([[row.get(column, "") for column in columns] for row in rows])
    return out.getvalue().encode("utf-8")


TICKET_COLUMNS = ("number", "kind", "uuid", "reference", "session", "created_at",
                  "amount_untaxed", "amount_tax", "amount_total", "payments", "previous_link",
                  "link")
CLOSING_COLUMNS = ("number", "kind", "period", "config_id", "establishment", "order_count",
                   "refund_count", "refund_total", "period_total", "perpetual_total",
                   "duplicate_count", "totals_by_tax", "totals_by_method", "link")
EVENT_COLUMNS = ("number", "at", "kind", "config_id", "details", "previous_link", "link")


def _ticket_row(ticket):
    record = ticket["record"] or {}
    payments = " ".join(f"{p.get('method')}:{p.get('amount')}"
                        for p in record.get("payments", []))
    total = record.get("amount_total", record.get("period_total", ""))
    return {"number": ticket["number"], "kind": ticket["kind"], "uuid": ticket["uuid"],
            "reference": record.get("reference", ""), "session": record.get("session", ""),
            "created_at": record.get("created_at", record.get("closed_at", "")),
            "amount_untaxed": record.get("amount_untaxed", ""),
            "amount_tax": record.get("amount_tax", ""), "amount_total": total,
            "payments": payments, "previous_link": ticket["previous_link"],
            "link": ticket["link"]}


def _closing_row(closing):
    details = closing["details"]
    return {"number": closing["number"], "kind": closing["kind"], "config_id":
            closing["config_id"] if closing["config_id"] is not None else "",
            "link": closing["link"],
            **{key: details.get(key, "") for key in CLOSING_COLUMNS[2:-1]
               if key not in ("config_id", "totals_by_tax", "totals_by_method")},
            "totals_by_tax": " ".join(f"{t['tax_rate']}%:{t['total']}"
                                      for t in details.get("totals_by_tax", [])),
            "totals_by_method": " ".join(f"{m['method']}:{m['amount']}"
                                         for m in details.get("totals_by_method", []))}


def _event_row(event):
    return {**event, "config_id": "" if event["config_id"] is None else event["config_id"],
            "details": json.dumps(event["details"], sort_keys=True, ensure_ascii=False)}


# -- verifying one (no database) ---------------------------------------------------------------

class _Unreadable(Exception):
    """Not an archive at all: the one line `verify_archive` answers, why."""


def verify_archive(data, public_key_hex=None):
    """Check an archive's bytes; return (ok, lines): what holds and what differs, in words.
    With `public_key_hex`, the manifest must also be signed by that key (the one kept apart
    from the archives), not only by the key the archive carries."""
    try:
        contents = _contents(data)
        manifest, key = _manifest(contents)
    except _Unreadable as refusal:
        return False, [f"DIFFERS: {refusal}"]
    notes = []
    problems = _check_signature(contents, manifest, key, public_key_hex, notes)
    problems += _check_parts(contents, manifest)
    if not problems:
        notes.append(f"{len(manifest.get('files', {}))} parts match the manifest")
        problems += _check_chains(contents, manifest, notes)
    if problems:
        return False, notes + [f"DIFFERS: {problem}" for problem in problems]
    return True, notes + [f"OK: {manifest['config']['name']} {manifest['period']}, "
                          f"{manifest['tickets']['count']} tickets, {manifest['closings']} "
                          f"closings, {manifest['journal']['count']} journal events"]


def _contents(data):
    """{name: bytes} of the ZIP archive, which holds at least the signed files."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        contents = {name: archive.read(name) for name in set(archive.namelist())}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError,
            ValueError) as error:
        raise _Unreadable(f"the file is not a readable ZIP archive ({error})") from None
    missing = [name for name in SIGNED if name not in contents]
    if missing:
        raise _Unreadable(f"{', '.join(missing)} missing: not a fiscal archive")
    return contents


def _manifest(contents):
    """(the manifest, the public key it names)."""
    try:
        manifest = json.loads(contents["manifest.json"])
        return manifest, Ed25519PublicKey.from_public_bytes(
            bytes.fromhex(manifest["public_key"]))
    except (ValueError, KeyError, TypeError):
        raise _Unreadable("manifest.json is not a manifest with a public key") from None


def _check_signature(contents, manifest, key, public_key_hex, notes):
    """The problems of the manifest's key and signature (the note of a valid one goes into
    `notes`)."""
    problems = []
    if public_key_hex is not None and public_key_hex.lower() != manifest["public_key"]:
        problems.append("the archive is signed by another key than the one given "
                        f"({manifest['public_key'][:16]}… instead of {public_key_hex[:16]}…)")
    if _pem_hex(contents["public_key.pem"]) != manifest["public_key"]:
        problems.append("public_key.pem is not the key the manifest names")
    try:
        key.verify(contents["manifest.sig"], contents["manifest.json"])
        notes.append(f"signature of manifest.json: valid (Ed25519, key "
                     f"{manifest['public_key'][:16]}…)")
    except InvalidSignature:
        problems.append("manifest.json's signature is not valid: the manifest was changed "
                        "after it was signed, or signed by another key")
    return problems


def _pem_hex(pem_bytes):
    """The raw Ed25519 public key of a PEM file, in hex (None when it is not one)."""
    try:
        return serialization.load_pem_public_key(pem_bytes).public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    except (ValueError, TypeError):
        return None


def _check_parts(contents, manifest):
    """Each part the manifest lists, against its size and SHA-256; no part it does not list."""
    problems = []
    files = manifest.get("files", {})
    for name, expected in sorted(files.items()):
        if name not in contents:
            problems.append(f"{name} is listed in the manifest but missing")
            continue
        digest = hashlib.sha256(contents[name]).hexdigest()
        if digest != expected.get("sha256") or len(contents[name]) != expected.get("bytes"):
            signed = str(expected.get("sha256", ""))[:16]
            problems.append(f"{name} differs from the manifest: sha256 {digest[:16]}… "
                            f"({len(contents[name])} bytes), signed {signed}… "
                            f"({expected.get('bytes')} bytes)")
    extra = sorted(set(contents) - set(files) - set(SIGNED))
    if extra:
        problems.append(f"files not in the manifest: {', '.join(extra)}")
    return problems


def _check_chains(contents, manifest, notes):
    return _check_tickets(contents, manifest, notes) + _check_journal(contents, notes)


def _check_tickets(contents, manifest, notes):
    """The ticket chain recomputed from the manifest's first number and previous link."""
    tickets = json.loads(contents["tickets.json"])
    previous = manifest["tickets"]["previous_link"] or ZERO_LINK
    expected = manifest["tickets"]["first"]
    for ticket in tickets:
        fault = _ticket_fault(ticket, previous, expected)
        if fault:
            return [fault]
        previous, expected = ticket["link"], expected + 1
    notes.append(f"ticket chain: {len(tickets)} tickets, links recomputed")
    if tickets and previous != manifest["tickets"]["last_link"]:
        return ["the last ticket's link is not the manifest's"]
    return []


def _ticket_fault(ticket, previous, expected):
    """Why `ticket` does not follow a ticket numbered `expected - 1` whose link is `previous`
    (None when it does)."""
    if ticket["number"] != expected or ticket["previous_link"] != previous:
        return f"ticket {ticket['number']} does not follow ticket {expected - 1}"
    if ticket["record"] is None or chain_link(previous, canonical_form(
            ticket["kind"], ticket["record"])) != ticket["link"]:
        return f"ticket {ticket['number']}'s record does not give its link"
    return None


def _check_journal(contents, notes):
    """The run of the journal's chain the archive holds, recomputed."""
    events = json.loads(contents["journal.json"])
    if not events:
        return []
    checked, broken, reason, last = verify_events(events, events[0]["previous_link"],
                                                  events[0]["number"])
    if broken is not None:
        return [f"journal: {reason}"]
    notes.append(f"journal chain: {checked} events, links recomputed")
    return []


def main(argv=None):
    """`python -m addons.point_of_sale.archive FILE [--public-key HEX]`: verify an archive with
    nothing but Python and `cryptography` (no database, no configuration)."""
    import argparse
    parser = argparse.ArgumentParser(description="Verify a Comptoir fiscal archive")
    parser.add_argument("file")
    parser.add_argument("--public-key", default=None)
    args = parser.parse_args(argv)
    with open(args.file, "rb") as file:
        ok, lines = verify_archive(file.read(), args.public_key)
    print("\n".join(lines))
    return 0 if ok else 1


README = """Comptoir fiscal archive
=======================

manifest.json lists every part with its SHA-256; manifest.sig is the Ed25519 signature of
manifest.json's bytes; public_key.pem is the signing key (compare it with the one the shop
keeps apart: `core pos archive key`).

Check with standard tools:

    sha256sum tickets.csv tickets.json closings.csv closings.json journal.csv journal.json README.txt
        (compare with manifest.json's "files")
    openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in manifest.json -sigfile manifest.sig

or with Comptoir, without a database: `core pos archive verify FILE [--public-key HEX]`.

Ticket chain: link(n) = sha256(link(n-1) bytes + canonical JSON of {"kind", "record"} with
sorted keys and no spaces). Journal chain: link(n) = sha256(link(n-1) bytes + canonical JSON of
{"number", "at", "kind", "config_id", "details"}). docs/fiscal.md in Comptoir says more.
"""


if __name__ == "__main__":
    raise SystemExit(main())
