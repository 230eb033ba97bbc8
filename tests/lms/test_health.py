def test_health_answers_ok_without_login(client):
    reply = client.get("/healthz")
    assert reply.status_code == 200
    assert reply.get_json() == {"status": "ok"}


def test_health_reports_an_unreachable_database(app, client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from lms.extensions import db

    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    reply = client.get("/healthz")
    assert reply.status_code == 503
    assert reply.get_json()["status"] == "unavailable"
