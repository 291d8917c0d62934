"""Packages made in the background for the central admin's *New till* (a big catalogue takes
minutes: the request only records the build and starts it, the admin page follows it).

A build is a row of `pos_autonomous_package_build`, so any worker answers for it: the request
inserts it and starts `core autonomous build-package ID`, a process of its own (a long copy
never holds up a web worker), which runs `make_package` and writes its progress (rows copied,
of how many) into the row after each page, and keeps the finished package in the database
(`pos_autonomous_package_part`: any server of the central, on any machine, hands it out); the
admin page reads the row every second, then downloads the package once. `building_config` is
unique and holds the config while its build is queued or running, so a second request for that
config (another click, another worker) finds the running build instead of starting another
one. A build whose process died (killed, server restarted) stops writing: after
`STALE_SECONDS` without progress it is marked failed, in words.
"""
import hashlib
import os
import stat
import subprocess
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.errors import CoreError
from core.models import utc_now
from core.times import as_utc

from ..progress import progress_words, rate_and_time_left
from . import tills
from .models import PackageBuild, PackagePart
from .package import check_configs, make_package

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STALE_SECONDS = 120  # no progress for this long: its process is gone
KEPT = 10  # builds listed on the admin page
PART_BYTES = 1 << 20  # a finished package is kept in the database in parts of this size


class AlreadyBuilding(CoreError):
    def __init__(self, build_id, config_id):
        super().__init__(f"the package of a till for POS config {config_id} is already being "
                         f"made (build {build_id}); follow it below")
        self.build_id = build_id


def folder(instance):
    """Where this database's packages are made: the server's own folder (a package holds a
    till's credentials), shared by the workers of one machine: $COMPTOIR_PACKAGE_DIR, else
    the server user's cache folder ($XDG_CACHE_HOME or ~/.cache)/comptoir/packages. Each level
    it makes is checked: a directory (not a link) owned by the server's user that no one else
    may enter; a shared temporary folder whose owner and mode were not checked let another
    user of the machine create it first and read the packages."""
    base = os.environ.get("COMPTOIR_PACKAGE_DIR")
    if base:
        root = Path(base)
    else:
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = Path(cache) / "comptoir" / "packages"
    digest = hashlib.sha256(instance.url.encode()).hexdigest()[:16]
    path = root / digest
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.mkdir(mode=0o700, exist_ok=True)
    for level in (root, path):
        _require_private(level)
    return path


def _require_private(path):
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise CoreError(f"{path} must be a folder of the server's own user that no one else may "
                        f"read (owner uid {info.st_uid}, mode {oct(info.st_mode & 0o777)}): it "
                        "holds tills' credentials; remove it or set COMPTOIR_PACKAGE_DIR")


def package_path(instance, build_id):
    return folder(instance) / f"build-{build_id}.package"


def request_build(instance, config_id, server_url, cashiers=(), name=None, launch=True):
    """Record a build of a till's package for `config_id` (a list: a shop's configs) and start
    its process; return its id. AlreadyBuilding when one for its (first) config is queued or
    running. What would refuse the package (an unknown config, a cashier, a multi-session
    split) is said now, not minutes later."""
    config_ids = [config_id] if isinstance(config_id, int) else list(config_id)
    with instance.engine.begin() as connection:
        check_configs(connection, instance.plugin_manager(), config_ids)
        tills.check_cashiers(connection, cashiers)
        expire_stale(connection)
    first = config_ids[0]
    try:
        with instance.engine.begin() as connection:
            now = utc_now()
            build_id = connection.execute(PackageBuild.__table__.insert().values(
                config_id=first, building_config=first, name=name or "",
                config_ids=",".join(map(str, config_ids)),
                server_url=server_url, cashiers=",".join(cashiers), state=QUEUED,
                rows_done=0, rows_total=0, error="", created_at=now, updated_at=now,
            )).inserted_primary_key[0]
    except IntegrityError:  # another request got there first
        with instance.engine.connect() as connection:
            running = connection.scalar(select(PackageBuild.id).where(
                PackageBuild.building_config == first))
        raise AlreadyBuilding(running, first) from None
    if launch:
        _launch(instance, build_id)
    return build_id


def _launch(instance, build_id):
    log = open(folder(instance) / f"build-{build_id}.log", "ab")  # its traceback, if it crashes
    # It sees the addons this server sees: the same folders, whatever the environment says.
    addon_folders = sorted({str(addon.path.parent) for addon in instance.catalog.addons.values()})
    process = subprocess.Popen(
        [sys.executable, "-c", "from core.cli import main; main()",
         "autonomous", "build-package", str(build_id)],
        # The database URL goes in the environment: on a command line, `ps` would show its
        # password to every user of the machine.
        env={**os.environ, "CORE_DB": instance.url,
             "CORE_ADDONS_PATH": os.pathsep.join(addon_folders), "CORE_LOAD_ENTRY_POINTS": "0"},
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, close_fds=True)
    log.close()
    threading.Thread(target=process.wait, daemon=True).start()  # reaped when it ends


def _update(instance, build_id, **values):
    with instance.engine.begin() as connection:
        connection.execute(PackageBuild.__table__.update().where(
            PackageBuild.id == build_id).values(updated_at=utc_now(), **values))


def run_build(instance, build_id, say=lambda message: None):
    """Make the package of a queued build (the `build-package` process), writing its progress;
    a failure is recorded in words (and raised)."""
    build, started = _start(instance, build_id)
    output = package_path(instance, build_id)
    output.unlink(missing_ok=True)

    def progress(done, total):
        _update(instance, build_id, rows_done=done, rows_total=total)
        say(progress_words(done, total, started))
    try:
        till_id = make_package(instance, _configs_of(build), output, build.server_url,
                               [login for login in build.cashiers.split(",") if login],
                               build.name or None, progress=progress)
    except BaseException as exc:
        _failed(instance, build_id, output, exc)
        raise
    with instance.engine.begin() as connection:
        store_package(connection, build_id, output)
        connection.execute(PackageBuild.__table__.update().where(
            PackageBuild.id == build_id).values(
            state=DONE, building_config=None, till_id=till_id, finished_at=utc_now(),
            updated_at=utc_now(), file_path=""))
    return till_id


def _start(instance, build_id):
    """(the build's row, when it started): a queued build marked running, else CoreError."""
    with instance.engine.begin() as connection:
        build = connection.execute(select(PackageBuild).where(
            PackageBuild.id == build_id)).first()
        if build is None or build.state != QUEUED:
            raise CoreError(f"build {build_id} is {build.state if build else 'unknown'}, not "
                            "queued")
        started = utc_now()
        connection.execute(PackageBuild.__table__.update().where(
            PackageBuild.id == build_id).values(state=RUNNING, started_at=started,
                                                updated_at=started))
    return build, started


def _configs_of(build):
    """The build's config, or a shop's configs (a list)."""
    listed = [int(value) for value in (build.config_ids or "").split(",") if value]
    return listed if len(listed) > 1 else build.config_id


def _failed(instance, build_id, output, exc):
    """The failure recorded in words; a half-made till database holds its credentials: gone."""
    for leftover in (output, output.with_name(output.name + ".building")):
        leftover.unlink(missing_ok=True)
    words = str(exc) if isinstance(exc, CoreError) else f"{type(exc).__name__}: {exc}"
    _update(instance, build_id, state=FAILED, building_config=None,
            error=words or type(exc).__name__, finished_at=utc_now())


def expire_stale(connection):
    """Mark failed the builds whose process stopped writing (killed, machine restarted)."""
    limit = utc_now() - timedelta(seconds=STALE_SECONDS)
    for build in connection.execute(select(PackageBuild).where(
            PackageBuild.state.in_((QUEUED, RUNNING)))).all():
        if as_utc(build.updated_at) < limit:
            connection.execute(PackageBuild.__table__.update().where(
                PackageBuild.id == build.id).values(
                state=FAILED, building_config=None, finished_at=utc_now(),
                error=f"stopped: no progress for {STALE_SECONDS} s (its process was killed or "
                      "the server restarted); make the package again"))


def build_status(build):
    """A build as the admin page shows it and its script reads it (`words` for a person)."""
    running = build.state == RUNNING and build.started_at is not None
    rate, left = (rate_and_time_left(build.rows_done, build.rows_total, build.started_at)
                  if running else (None, None))
    ready = build.state == DONE and build.downloaded_at is None
    words = {QUEUED: "starting…",
             RUNNING: progress_words(build.rows_done, build.rows_total, build.started_at)
             if running else "",
             DONE: f"{build.rows_total} rows copied; "
                   + ("ready to download" if ready else "downloaded (the file is gone)"),
             FAILED: f"failed: {build.error}"}[build.state]
    return {"id": build.id, "config_id": build.config_id, "state": build.state,
            "till_id": build.till_id, "rows_done": build.rows_done,
            "rows_total": build.rows_total, "rate": rate, "seconds_left": left,
            "error": build.error or None, "ready": ready, "words": words}


def recent(connection):
    expire_stale(connection)
    return connection.execute(select(PackageBuild).order_by(PackageBuild.id.desc())
                              .limit(KEPT)).all()


def get(connection, build_id):
    expire_stale(connection)
    return connection.execute(select(PackageBuild).where(PackageBuild.id == build_id)).first()


def store_package(connection, build_id, path):
    """Keep the package file at `path` in the database (parts of PART_BYTES), where any server
    of the central instance finds it, and remove the file (it holds the till's credentials)."""
    with open(path, "rb") as package_file:
        for part, data in enumerate(iter(lambda: package_file.read(PART_BYTES), b"")):
            connection.execute(PackagePart.__table__.insert().values(
                build_id=build_id, part=part, data=data))
    Path(path).unlink(missing_ok=True)


def claim_download(instance, build_id):
    """The finished package, open for reading (a temporary file of this machine), for one
    caller only: the one whose UPDATE marks it downloaded (state done, not downloaded yet) in
    the transaction that reads its parts and deletes them (the till's credentials leave the
    database). None for every other caller, concurrent ones included (three of eight
    concurrent downloads got the file on PostgreSQL with two workers when reading and marking
    were two steps)."""
    table, parts = PackageBuild.__table__, PackagePart.__table__
    with instance.engine.begin() as connection:
        # The claim: one UPDATE of those not yet downloaded; of concurrent ones, one changes
        # the row and the others find it taken (rowcount 0), on both databases.
        claimed = connection.execute(
            table.update().where(table.c.id == build_id, table.c.state == DONE,
                                 table.c.downloaded_at.is_(None))
            .values(downloaded_at=utc_now(), file_path="")).rowcount == 1
        if not claimed:
            return None
        package_file = tempfile.TemporaryFile()
        for data in connection.scalars(select(parts.c.data).where(parts.c.build_id == build_id)
                                       .order_by(parts.c.part)):
            package_file.write(data)
        connection.execute(parts.delete().where(parts.c.build_id == build_id))
    if not package_file.tell():
        package_file.close()
        return None
    package_file.seek(0)
    return package_file
