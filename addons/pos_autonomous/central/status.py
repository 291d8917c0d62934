"""The central instance's state for `core autonomous status`: each till (last contact, last
acknowledged ticket, open alarms) and the file exports, as JSON and in words."""
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
    yield "Central instance. Tills:" if till_rows else "Central instance; no till yet."
    for t in till_rows:
        seen = pushed.get(t.id, {})
        yield (f"  {t.id} {t.name} (config {t.config_id})"
               f"{' revoked' if t.revoked_at else ''}, last contact "
               f"{t.last_contact_at or 'never'}, last acknowledged ticket "
               f"{seen.get('last_acknowledged') or 'none'}, open alarms "
               f"{seen.get('open_alarms', 0)}")
    for item in export_runs:
        run = exports.run_json(item)
        yield (f"  export of config {run['config_id']} to {run['target']}"
               f"{' (late)' if run['late'] else ''}: last success "
               f"{run['last_success_at'] or 'never'}, last error "
               f"{run['last_error'] or 'none'}")
