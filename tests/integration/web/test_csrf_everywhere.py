"""Every form-posting route refuses a request without its CSRF token."""

from sqlalchemy import func, select
from werkzeug.routing import AnyConverter, IntegerConverter

from labtrack.audit.models import AuditEvent
from labtrack.extensions import db
from tests.helpers import login


def _url_for_rule(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, AnyConverter):
            values[name] = next(iter(converter.items))
        else:
            values[name] = "X1"
    return rule.build(values)[1]


def _post_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if "POST" in rule.methods and not rule.endpoint.startswith("api.")]


def test_every_post_route_refuses_a_missing_csrf_token(app, client, make_user):
    admin = make_user("admin")
    login(client, admin.username)
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    rules = _post_rules(app)
    assert len(rules) > 20  # the forms of every area are really covered
    for rule in rules:
        response = client.post(_url_for_rule(rule), data={"reason": "x", "password": "y"})
        assert response.status_code == 400, rule.rule
        assert "security token" in response.get_data(as_text=True), rule.rule
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_the_api_is_token_authenticated_and_needs_no_csrf_token(client):
    response = client.post("/api/v1/batches/X1/counts", json={})
    assert response.status_code == 401
    assert response.is_json
