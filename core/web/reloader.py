"""Rebuild the Flask app when the installed addons change (an install from the Apps page or from
`core install` in another process), so the server never has to be restarted for it.

Flask cannot add blueprints to an app that has served requests, so a fresh app is built. The
check is a few small queries at most every `interval` seconds per process, off the hot path
otherwise; a page of this process that changed something (`core.web.request_rebuild`) makes the
next request check at once. The system parameters are watched too: the app and its addons read
them when it is built (the secret key, the body size limit, an addon's settings), so a changed
value reaches every worker within `interval` seconds.
"""
import logging
import threading
import time

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from core.models import Parameter
from core.web import REBUILD_FLAG

logger = logging.getLogger(__name__)

class ReloadingApp:
    def __init__(self, instance, build, interval=2.0):
        self.instance = instance
        self.build = build
        self.interval = interval
        self._lock = threading.Lock()
        self._state = self._read_state()
        self._app = build(instance)
        self._checked_at = time.monotonic()

    def __call__(self, environ, start_response):
        if self._due():
            self._reload_if_changed()
        return self._app(environ, start_response)

    def _due(self):
        return (self._app.extensions.get(REBUILD_FLAG)
                or time.monotonic() - self._checked_at > self.interval)

    def _read_state(self):
        installed = self.instance.installed()
        with self.instance.engine.connect() as connection:
            parameters = sorted(connection.execute(select(Parameter.key, Parameter.value)).all())
        return installed, parameters

    def _reload_if_changed(self):
        with self._lock:
            if not self._due():
                return  # checked by a request that held the lock while this one waited
            self._checked_at = time.monotonic()
            self._app.extensions.pop(REBUILD_FLAG, None)
            try:
                state = self._read_state()
            except SQLAlchemyError as exc:
                # The database is away: keep serving (/web/health says 503), look again later.
                logger.warning("cannot check the installed addons: %s", exc)
                return
            if state != self._state:
                self._app = self.build(self.instance)
                self._state = state
