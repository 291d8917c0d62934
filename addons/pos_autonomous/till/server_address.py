"""The till's central server address (its link row), which a manager of the till may change:
the till's admin form or `core autonomous server-address URL`. The address is checked (an
http(s) URL with a host, no credentials, query or fragment), and each change is journaled
(point_of_sale's chained journal, `server_address_changed`, with the old and the new address and
who changed it). The synchroniser uses it from its next pass."""
import re
from urllib.parse import urlsplit

from addons.point_of_sale import record_event
from core.errors import CoreError
from core.i18n import _

from .. import role
from .models import Link

MAX_URL = 255  # the column's size
PRINTABLE = re.compile(r"[!-~]+")  # ASCII without spaces or control characters
EXAMPLE = "https://central.example.com"


def validated(raw):
    """The address `raw` once checked (whitespace around it dropped); CoreError saying what is
    wrong otherwise."""
    url = raw.strip() if isinstance(raw, str) else ""
    if not url:
        raise CoreError(_("give the central server's address, e.g. %(example)s",
                          example=EXAMPLE))
    if len(url) > MAX_URL or not PRINTABLE.fullmatch(url):
        raise CoreError(_("the address must be at most %(max)s characters, without spaces "
                          "(e.g. %(example)s)", max=MAX_URL, example=EXAMPLE))
    problem = _problem_of(url, urlsplit(url))
    if problem:
        raise CoreError(problem)
    return url


def _problem_of(url, parts):
    """What is wrong with the URL `url` (split in `parts`), in words; None if nothing."""
    try:
        parts.port  # noqa: B018 - reading it checks it (a ValueError when not a port number)
    except ValueError:
        return _("%(url)s: the port must be a number from 0 to 65535", url=url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("%(url)s is not a web address: it starts with http:// or https:// and names a "
                 "host (e.g. %(example)s)", url=url, example=EXAMPLE)
    if parts.username or parts.password or parts.query or parts.fragment:
        return _("%(url)s: give the address alone, without a user, password, ?query or "
                 "#fragment (the till signs in with its own credentials)", url=url)
    return None


def change(till, raw, changed_by):
    """Set the till's server address to `raw` (checked), journaled when it changes; return
    (old, new)."""
    new = validated(raw)
    with till.engine.begin() as connection:
        link = role.link(connection)
        if link is None:
            raise CoreError(_("this database is not an autonomous till: the central server has "
                              "no server address to change"))
        if link.server_url != new:
            connection.execute(Link.__table__.update().values(server_url=new))
            record_event(connection, "server_address_changed", link.config_id,
                         old=link.server_url, new=new, by=changed_by)
    return link.server_url, new
