"""`GET /web/health`: 200 when this process can serve, 503 when it cannot, for nginx, systemd
and container checks (Odoo has `/web/health` too).

The kernel checks the database; installed addons add what they need through the
`check_health` hook (pos_longpolling: its bus listener). The answer names the worker's pid, so
a check through a load balancer can tell the workers apart.
"""
import os

from flask import jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.plugins import call_per_addon
from core.web import current_instance, current_plugins
from core.web.guard import PUBLIC, admin_blueprint, requires

health = admin_blueprint("health", __name__)


@health.get("/health")
@requires(PUBLIC)
def health_check():
    instance = current_instance()
    checks = {"database": database_problem(instance)}
    if checks["database"] is None:
        for addon, results in call_per_addon(current_plugins(), "check_health",
                                             instance=instance):
            for name, problem in results:
                checks[f"{addon}: {name}"] = problem
    healthy = all(problem is None for problem in checks.values())
    body = {"status": "ok" if healthy else "unavailable", "pid": os.getpid(),
            "checks": {name: problem or "ok" for name, problem in checks.items()}}
    return jsonify(body), 200 if healthy else 503


def database_problem(instance):
    try:
        with instance.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"the database does not answer: {str(exc.orig or exc).splitlines()[0]}"
    return None
