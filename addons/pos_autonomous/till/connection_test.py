"""*Test connection* to the central server (the till's admin, `core autonomous test-connection
--central`): four checks, each said in words a shop owner can act on:

* **address**: the central server answers at the till's server address;
* **credentials**: it accepts the till's token (not revoked, made by that server);
* **clock**: the till's clock agrees with the central's (tickets carry the till's time): the
  skew is the central's time minus the middle of the round trip, with half the round trip as
  its margin;
* **versions**: both speak the same wire protocol (wire.PROTOCOL); addon versions that differ
  are said, not refused (a table whose columns differ is reloaded alone).

A check that cannot run because an earlier one failed says so."""
import time
from dataclasses import dataclass

from core.errors import CoreError
from core.i18n import _
from core.times import parse_utc

from .. import role, settings
from ..wire import HELLO, PROTOCOL
from .client import CentralClient, SyncError

MAX_CLOCK_SKEW_S = 60  # beyond this, the till's tickets would carry a visibly wrong time
CHECKS = ("address", "credentials", "clock", "versions")


@dataclass
class Check:
    name: str  # one of CHECKS
    ok: bool | None  # None: not tested (an earlier check failed)
    words: str

    @property
    def label(self):
        return {"address": _("Address"), "credentials": _("Credentials"), "clock": _("Clock"),
                "versions": _("Versions")}[self.name]


def test_central(till, wall_clock=time.time):
    """The four checks of `till` (an Instance of an autonomous till or shop) against its
    central server, in CHECKS order. `wall_clock`: the till's clock (seconds since the epoch).
    A shop's other configs have their own credentials: each is tested too."""
    with till.engine.connect() as connection:
        link = role.link(connection)
        if link is None:
            raise CoreError(_("this database is not an autonomous till: only a till tests its "
                              "connection to the central server"))
        timeout = settings.read(till, connection)[settings.REQUEST_TIMEOUT_MS] / 1000
        others = role.pushers(connection)[1:]
    try:
        client = CentralClient(link.server_url, f"{link.till_id}.{link.secret}", timeout)
    except SyncError as exc:
        return _stopped_at("address", str(exc))
    try:
        sent = wall_clock()
        answer = client.post(HELLO, {})
        received = wall_clock()
    except SyncError as exc:
        return _refused(link.server_url, exc)
    finally:
        client.close()
    return [Check("address", True, _("the central server answers at %(url)s.",
                                     url=link.server_url)),
            credentials_check(answer, [pusher.config_id for pusher in others],
                              _members_refused(link.server_url, others, timeout)),
            clock_check(answer.get("server_time"), sent, received),
            versions_check(answer, till.installed())]


def _members_refused(server_url, pushers, timeout):
    """[(config id, SyncError)] of a shop's other configs whose credentials the central
    refused."""
    refused = []
    for pusher in pushers:
        client = CentralClient(server_url, pusher.token, timeout)
        try:
            client.post(HELLO, {})
        except SyncError as exc:
            refused.append((pusher.config_id, exc))
        finally:
            client.close()
    return refused


def credentials_check(answer, other_configs, refused):
    """Accepted, naming the till (and a shop's `other_configs`); or which of a shop's configs
    the central refused."""
    if refused:
        return Check("credentials", False, _(
            "the central server refused the credentials of POS config(s) %(configs)s "
            "(%(detail)s): revoked, or packaged by another server. Ask for a new package.",
            configs=", ".join(str(config_id) for config_id, _error in refused),
            detail=refused[0][1].detail or refused[0][1]))
    if other_configs:
        return Check("credentials", True, _(
            "accepted: this is till %(till_id)s of POS config %(config_id)s, and the shop's "
            "POS config(s) %(others)s too.", till_id=answer.get("till_id"),
            config_id=answer.get("config_id"),
            others=", ".join(str(config_id) for config_id in other_configs)))
    return Check("credentials", True, _(
        "accepted: this is till %(till_id)s of POS config %(config_id)s.",
        till_id=answer.get("till_id"), config_id=answer.get("config_id")))


def _stopped_at(name, words):
    """`name` failed with `words`; the checks after it were not tested."""
    failed = CHECKS.index(name)
    return ([Check(earlier, True, _("passed.")) for earlier in CHECKS[:failed]]
            + [Check(name, False, words)]
            + [Check(later, None, _("not tested (the check above failed)."))
               for later in CHECKS[failed + 1:]])


def _refused(url, error):
    """The checks when the hello request failed: where it stopped, in words."""
    if error.status is None:
        return _stopped_at("address", _(
            "cannot reach the central server at %(url)s (%(error)s). Check the address, that "
            "the central server is running and that this machine is on the network.",
            url=url, error=str(error).removeprefix(f"cannot reach {url}: ")))
    reached = Check("address", True, _("the central server answers at %(url)s.", url=url))
    if error.status == 401:
        return [reached] + _stopped_at("credentials", _(
            "the central server refused this till's credentials (%(detail)s): the till was "
            "revoked, or its package was made by another server. Ask for a new package.",
            detail=error.detail or error.code))[1:]
    if error.status == 404:
        return [reached] + _stopped_at("versions", _(
            "the server at %(url)s does not know this test: it is not a Comptoir central "
            "server with autonomous tills, or its software is older than this till's. Check "
            "the address, or update the central server.", url=url))[1:]
    return [reached] + _stopped_at("credentials", _(
        "the central server answered with an error: %(error)s", error=error))[1:]


def clock_check(server_time, sent, received):
    """The clock check from the central's time and the till's clock around the request."""
    try:
        central = parse_utc(str(server_time)).timestamp()
    except ValueError:
        return Check("clock", False, _("the central server did not say its time."))
    skew = central - (sent + received) / 2
    margin = (received - sent) / 2
    if abs(skew) - margin <= MAX_CLOCK_SKEW_S:
        return Check("clock", True, _("this till's clock agrees with the central's (within "
                                      "%(seconds)s s).", seconds=max(1, round(abs(skew)))))
    if skew > 0:
        return Check("clock", False, _(
            "this till's clock is %(amount)s behind the central's: set this machine's date and "
            "time (its tickets carry it), or the central's if it is the one that is wrong.",
            amount=duration_words(skew)))
    return Check("clock", False, _(
        "this till's clock is %(amount)s ahead of the central's: set this machine's date and "
        "time (its tickets carry it), or the central's if it is the one that is wrong.",
        amount=duration_words(-skew)))


def duration_words(seconds):
    """`2 h 5 min`, `3 min 12 s`, `40 s`."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def versions_check(answer, here):
    """Same wire protocol (else refused); addon versions that differ are said."""
    protocol = answer.get("protocol")
    if protocol != PROTOCOL:
        return Check("versions", False, _(
            "the central server speaks synchronisation protocol %(central)s, this till "
            "%(till)s: update the older of the two.", central=protocol, till=PROTOCOL))
    central = answer.get("addons") if isinstance(answer.get("addons"), dict) else {}
    differ = [_("%(addon)s %(central)s on the central, %(till)s here", addon=name,
                central=central.get(name, _("missing")), till=version)
              for name, version in sorted(here.items()) if central.get(name) != version]
    if not differ:
        return Check("versions", True, _("compatible: the same software on both (%(addons)s).",
                                         addons=", ".join(f"{name} {version}" for name, version
                                                          in sorted(here.items()))))
    return Check("versions", True, _(
        "compatible (the same synchronisation protocol), with different versions: %(differ)s. "
        "The till follows with its next package or `core upgrade`.", differ="; ".join(differ)))


def lines(checks):
    """The checks as lines for the command line: `OK  Address: ...`."""
    marks = {True: "OK    ", False: "FAILED", None: "--    "}
    return [f"{marks[check.ok]} {check.label}: {check.words}" for check in checks]
