"""The audit viewer, record history and CSV export."""

import csv
import io

import pytest

from labtrack.services import accounts
from tests.helpers import login


@pytest.fixture
def role_change(make_user):
    """An admin moves a technician to QA, with a reason; returns (admin, user)."""
    admin = make_user("admin", username="root")
    user = make_user("technician", username="lucia")
    accounts.change_role(admin, user, "qa", "Transferred to quality assurance")
    return admin, user


@pytest.mark.parametrize("role", ["technician", "clinician"])
def test_only_qa_and_admin_see_the_audit_trail(signed_in, role):
    client, _ = signed_in(role)
    assert client.get("/audit").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert client.get("/audit/history/user_account/1").status_code == 403


def test_history_shows_old_and_new_values_who_when_and_why(signed_in, role_change):
    admin, user = role_change
    client, _ = signed_in("qa")
    html = client.get(f"/audit/history/user_account/{user.id}").get_data(as_text=True)
    assert "Transferred to quality assurance" in html
    assert ">technician<" in html and ">qa<" in html
    assert ">root<" in html  # who
    assert "CET" in html or "CEST" in html  # when, in the lab's zone with its name


def test_viewer_filters_by_record_user_and_action(signed_in, role_change):
    admin, user = role_change
    client, qa = signed_in("qa")
    html = client.get(f"/audit?record_type=user_account&record_id={user.id}"
                      "&action=update").get_data(as_text=True)
    assert html.count('data-testid="audit-event"') == 1
    assert "Transferred to quality assurance" in html
    by_user = client.get(f"/audit?username={qa.username}").get_data(as_text=True)
    assert "login_success" in by_user and "Transferred" not in by_user


def test_viewer_refuses_a_bad_date_range_without_error(signed_in, role_change):
    client, _ = signed_in("qa")
    response = client.get("/audit?since=2026-05-02&until=2026-05-01")
    assert response.status_code == 200
    assert "The end date is before the start date." in response.get_data(as_text=True)
    assert client.get("/audit?since=not-a-date").status_code == 200


def test_viewer_date_range_uses_local_days(signed_in, role_change):
    client, _ = signed_in("qa")
    assert 'data-testid="audit-event"' not in client.get(
        "/audit?until=2000-01-01").get_data(as_text=True)
    assert 'data-testid="audit-event"' in client.get(
        "/audit?since=2000-01-01").get_data(as_text=True)


def test_viewer_is_paginated_newest_first(app, signed_in, make_user):
    app.config["PAGE_SIZE"] = 3
    for _ in range(5):
        make_user()
    client, _ = signed_in("admin")
    first = client.get("/audit").get_data(as_text=True)
    assert first.count('data-testid="audit-event"') == 3
    assert "Page 1 of" in first and 'rel="next"' in first
    seqs = [int(chunk.split("</td>")[0].split(">")[-1])
            for chunk in first.split('data-testid="audit-event"')[1:]]
    assert seqs == sorted(seqs, reverse=True)


def test_csv_export_of_the_filtered_view(signed_in, role_change):
    admin, user = role_change
    client, _ = signed_in("admin")
    response = client.get(f"/audit/export.csv?record_type=user_account&record_id={user.id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    role_rows = [r for r in rows if r["field"] == "role"]
    assert {(r["action"], r["old"], r["new"]) for r in role_rows} == {
        ("create", "", '"technician"'), ("update", '"technician"', '"qa"')}
    assert all(r["record_id"] == str(user.id) for r in rows)


def test_csv_export_neutralises_formulas(signed_in, make_user):
    client, admin = signed_in("admin")
    user = make_user()
    accounts.change_role(admin, user, "qa", '=HYPERLINK("http://x")')
    rows = list(csv.DictReader(io.StringIO(
        client.get("/audit/export.csv").get_data(as_text=True))))
    assert {r["reason"] for r in rows if r["field"] == "role"} >= {"'=HYPERLINK(\"http://x\")"}


def test_admin_user_page_links_to_its_history(signed_in, make_user):
    client, _ = signed_in("admin")
    user = make_user()
    html = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert f"/audit/history/user_account/{user.id}" in html


def test_login_with_history_of_security_events(signed_in, make_user, app):
    user = make_user()
    login(app.test_client(), user.username, "wrong password!!")
    client, _ = signed_in("qa")
    html = client.get(f"/audit/history/user_account/{user.id}").get_data(as_text=True)
    assert "login_failure" in html
