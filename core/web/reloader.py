"""Rebuild the Flask app when the installed addons change (an install from the Apps page or from
`core install` in another process), so the server never has to be restarted for it.

Flask cannot add blueprints to an app that has served requests, so a fresh app is built. The
check is one small query at most every `interval` seconds per process, off the hot path otherwise.
"""
import threading
import time


class ReloadingApp:
    def __init__(self, instance, build, interval=2.0):
        self.instance = instance
        self.build = build
        self.interval = interval
        self._lock = threading.Lock()
        self._installed = instance.installed()
        self._app = build(instance)
        self._checked_at = time.monotonic()

    def __call__(self, environ, start_response):
        if time.monotonic() - self._checked_at > self.interval:
            self._reload_if_changed()
        return self._app(environ, start_response)

    def _reload_if_changed(self):
        with self._lock:
            self._checked_at = time.monotonic()
            installed = self.instance.installed()
            if installed != self._installed:
                self._app = self.build(self.instance)
                self._installed = installed
