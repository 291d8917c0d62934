"""The central instance's state for `core autonomous status`: each till (last contact, last
acknowledged ticket, open alarms) and the file exports, as JSON and in words."""
from core.i18n import _

from . import exports, receive, tills


def overview(connection):
    """(till rows, what each pushed {till id: ...}, export runs), read in one go."""
    return tills.tills(connection), receive.till_overview(connection), exports.runs(connection)


def as_json(till_rows, pushed, export_runs):
    """{"tills", "exports"} for `status --json`."""
    return {
        "tills": [{"id": t.id, "config_id": t.config_id, "name": t.name,
                   "revoked": t.revoked_at is not None,
                   "last_contact_at": t.last_contact_at.isoformat()
                   if t.last_contact_at else None,
                   "last_acknowledged": pushed.get(t.id, {}).get("last_acknowledged", 0),
                   "open_alarms": pushed.get(t.id, {}).get("open_alarms", 0)}
                  for t in till_rows],
        "exports": [exports.run_json(item) for item in export_runs]}


def lines(till_rows, pushed, export_runs):
    """The same in words, a line each."""
    never, none = _("never"), _("none")
    yield _("Central instance. Tills:") if till_rows else _("Central instance; no till yet.")
    for t in till_rows:
        seen = pushed.get(t.id, {})
        words = dict(id=t.id, name=t.name, config=t.config_id,
                     contact=t.last_contact_at or never,
                     ticket=seen.get("last_acknowledged") or none,
                     alarms=seen.get("open_alarms", 0))
        yield "  " + (_("%(id)s %(name)s (config %(config)s) revoked, last contact %(contact)s, "
                        "last acknowledged ticket %(ticket)s, open alarms %(alarms)s", **words)
                      if t.revoked_at else
                      _("%(id)s %(name)s (config %(config)s), last contact %(contact)s, last "
                        "acknowledged ticket %(ticket)s, open alarms %(alarms)s", **words))
    for item in export_runs:
        run = exports.run_json(item)
        words = dict(config=run["config_id"], target=run["target"],
                     success=run["last_success_at"] or never, error=run["last_error"] or none)
        yield "  " + (_("export of config %(config)s to %(target)s (late): last success "
                        "%(success)s, last error %(error)s", **words) if run["late"] else
                      _("export of config %(config)s to %(target)s: last success %(success)s, "
                        "last error %(error)s", **words))
