"""GET /web/health: 200 when this process can serve, 503 when it cannot."""
import os

from sqlalchemy import create_engine

from core import hookimpl


def test_health_answers_200_and_the_workers_pid_when_the_database_answers(anonymous):
    answer = anonymous.get("/web/health")
    assert answer.status_code == 200
    assert answer.json == {"status": "ok", "pid": os.getpid(), "checks": {"database": "ok"}}


def test_health_answers_503_when_the_database_does_not_answer(instance, anonymous, monkeypatch):
    monkeypatch.setattr(instance, "engine",
                        create_engine("postgresql+psycopg://postgres@127.0.0.1:9/nowhere"))
    answer = anonymous.get("/web/health")
    assert answer.status_code == 503
    assert answer.json["status"] == "unavailable"
    assert answer.json["checks"]["database"].startswith("the database does not answer: ")


class Ailing:
    @hookimpl
    def check_health(self, instance):
        return [("cache", None), ("printer", f"no printer for {instance.db_name}")]


def test_hook_check_health(app, instance):
    app.extensions["core.plugins"].register(Ailing(), name="ailing")
    answer = app.test_client().get("/web/health")
    assert answer.status_code == 503
    assert answer.json["checks"] == {"database": "ok", "ailing: cache": "ok",
                                     "ailing: printer": f"no printer for {instance.db_name}"}
