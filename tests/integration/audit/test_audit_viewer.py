"""The audit viewer, record history and CSV export."""

import csv
import html as html_text
import io
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, select

from labtrack.accounts import users as accounts
from labtrack.audit import trail as audit_trail
from labtrack.audit.models import AuditEvent
from labtrack.extensions import db
from tests.helpers import lab_today, login

EVENT_SEQ = re.compile(r'data-testid="audit-event">\s*<td>(\d+)</td>')


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
    assert "History of User account Lucia Tester" in html  # the record as people name it
    assert '<span class="change-field">Role</span>' in html  # a field label, not a column name
    assert ">technician<" in html and ">qa<" in html
    assert "Root Tester (Admin)" in html  # who: the person and role, not the user name
    # when: lab time with the zone's name, to the second
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T", html)


def test_viewer_filters_by_record_user_and_action(signed_in, role_change):
    admin, user = role_change
    client, qa = signed_in("qa")
    html = client.get(f"/audit?record_type=user_account&record_id={user.id}"
                      "&action=update").get_data(as_text=True)
    assert html.count('data-testid="audit-event"') == 1
    assert "Transferred to quality assurance" in html
    by_user = client.get(f"/audit?username={qa.username}").get_data(as_text=True)
    assert "login success" in by_user and "Transferred" not in by_user


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


def _seqs(page_html: str) -> list[int]:
    return [int(seq) for seq in EVENT_SEQ.findall(page_html)]


def _link(page_html: str, testid: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="[a-z]+" data-testid="{testid}"', page_html)
    return html_text.unescape(found.group(1)) if found else None


PAGE_LINKS = ("page-newest", "page-newer", "page-older", "page-oldest")


def _walk(client, url: str, testid: str) -> list[list[int]]:
    """The events of each page reached from ``url`` by following ``testid`` links,
    checking that every page link keeps the filters of ``url``."""
    filters = [pair for pair in urlsplit(url).query.split("&")
               if pair and not pair.startswith(("before=", "after="))]
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        page_html = response.get_data(as_text=True)
        pages.append(_seqs(page_html))
        for link in filter(None, (_link(page_html, name) for name in PAGE_LINKS)):
            assert all(pair in urlsplit(link).query.split("&") for pair in filters), link
        url = _link(page_html, testid)
    return pages


@pytest.fixture
def busy_trail(app, make_user):
    """Enough events of several kinds for several pages of 3: accounts created, some
    roles changed with a reason, sign-ins; returns (admin, users)."""
    app.config["PAGE_SIZE"] = 3
    admin = make_user("admin", username="root")
    users = [make_user() for _ in range(5)]
    for user in users[:3]:
        accounts.change_role(admin, user, "qa", "Moved to QA")
    for user in users[3:]:
        login(app.test_client(), user.username)
    return admin, users


FILTERS = {
    "everything": ("", lambda admin, users: []),
    "record type": ("record_type=user_account",
                    lambda admin, users: [AuditEvent.record_type == "user_account"]),
    "action": ("action=create", lambda admin, users: [AuditEvent.action == "create"]),
    "type and action": ("record_type=user_account&action=create",
                        lambda admin, users: [AuditEvent.record_type == "user_account",
                                              AuditEvent.action == "create"]),
    "record id": ("record_id={id}", lambda admin, users: [
        AuditEvent.record_id == str(users[3].id)]),
    "record and action": ("record_type=user_account&record_id={id}&action=login_success",
                          lambda admin, users: [
                              AuditEvent.record_type == "user_account",
                              AuditEvent.record_id == str(users[3].id),
                              AuditEvent.action == "login_success"]),
    "user": ("username=root", lambda admin, users: [AuditEvent.username == "root"]),
    "date range": (f"since=2000-01-01&until={lab_today().year + 1}-01-01",
                   lambda admin, users: []),
}


@pytest.mark.parametrize("name", FILTERS)
def test_older_then_newer_walks_every_filtered_event_once_in_order(signed_in, busy_trail,
                                                                     name):
    admin, users = busy_trail
    client, _ = signed_in("qa")
    query, conditions = FILTERS[name]
    query = query.format(id=users[3].id)
    expected = list(db.session.scalars(select(AuditEvent.seq).where(*conditions(admin, users))
                                       .order_by(AuditEvent.seq.desc())))
    assert expected

    older = _walk(client, f"/audit?{query}", "page-older")
    assert [seq for page in older for seq in page] == expected
    assert all(len(page) == 3 for page in older[:-1])

    last_page = f"/audit?{query}&before={older[-1][0] + 1}"
    newer = _walk(client, last_page, "page-newer")
    assert [seq for page in reversed(newer) for seq in page] == expected
    assert newer == list(reversed(older))


def test_oldest_and_newest_links(signed_in, busy_trail):
    client, _ = signed_in("admin")
    everything = list(db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
    first = client.get("/audit").get_data(as_text=True)
    assert _seqs(first) == everything[:-4:-1]
    assert "Newest first, 3 per page" in first
    assert _link(first, "page-newer") is None and _link(first, "page-newest") is None

    oldest = client.get(_link(first, "page-oldest")).get_data(as_text=True)
    assert _seqs(oldest) == everything[2::-1]
    assert _link(oldest, "page-older") is None
    assert _seqs(client.get(_link(oldest, "page-newest")).get_data(as_text=True)) == _seqs(first)


def test_one_page_shows_its_exact_count(signed_in, role_change):
    admin, user = role_change
    client, _ = signed_in("qa")
    page_html = client.get(f"/audit?record_type=user_account&record_id={user.id}"
                           ).get_data(as_text=True)
    assert "2 events match." in page_html
    assert 'class="pagination"' not in page_html


def test_paging_never_counts_the_filtered_set(app, signed_in, busy_trail):
    client, _ = signed_in("qa")
    statements = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement.lower())

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        for query in ("", "record_type=user_account", "action=create", "username=root",
                      "record_type=user_account&before=1000", "record_id=1&after=0"):
            assert client.get(f"/audit?{query}").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    audit_reads = [s for s in statements if "audit_event" in s]
    assert audit_reads
    assert not [s for s in audit_reads if "count(" in s]


@pytest.mark.parametrize("cursor", [
    "before=abc", "after=-1", "before=1e5", "before=12.5", "before=0x10",
    "before=2147483648", "after=99999999999999999999999", "before=" + "9" * 5000,
    "before=%EF%BC%91", "before=1&after=2",
])
def test_a_bad_page_link_is_refused_clearly(signed_in, busy_trail, cursor):
    client, _ = signed_in("qa")
    newest = db.session.scalar(select(AuditEvent.seq).where(
        AuditEvent.record_type == "user_account").order_by(AuditEvent.seq.desc()))
    response = client.get(f"/audit?record_type=user_account&{cursor}")
    assert response.status_code == 400
    page_html = response.get_data(as_text=True)
    assert "That page link is not valid, so the newest events are shown." in page_html
    assert _seqs(page_html)[0] == newest  # the newest page, filter kept
    assert 'name="record_type"' in page_html


@pytest.mark.parametrize("cursor", ["before=0", "after=2147483647"])
def test_a_page_beyond_the_end_is_empty_with_a_way_back(signed_in, busy_trail, cursor):
    client, _ = signed_in("qa")
    response = client.get(f"/audit?action=create&{cursor}")
    assert response.status_code == 200
    page_html = response.get_data(as_text=True)
    assert _seqs(page_html) == []
    assert "No more events this way." in page_html
    assert _link(page_html, "page-newest") is None  # the way back is a plain link
    assert 'href="/audit?action=create" data-testid="page-newest"' in page_html


def test_an_empty_cursor_is_the_first_page(signed_in, busy_trail):
    client, _ = signed_in("qa")
    response = client.get("/audit?before=&after=")
    assert response.status_code == 200
    assert len(_seqs(response.get_data(as_text=True))) == 3


@pytest.mark.parametrize("name", ["record type", "action", "user", "everything"])
def test_csv_export_streams_the_whole_filtered_set(signed_in, busy_trail, monkeypatch,
                                                   name):
    admin, users = busy_trail
    monkeypatch.setattr(audit_trail, "EXPORT_CHUNK", 2)  # several chunks
    client, _ = signed_in("admin")
    query, conditions = FILTERS[name]
    expected = list(db.session.scalars(select(AuditEvent.seq).where(*conditions(admin, users))
                                       .order_by(AuditEvent.seq.desc())))
    page_html = client.get(f"/audit?{query}&before={expected[2]}").get_data(as_text=True)
    export_url = html_text.unescape(re.search(r'href="(/audit/export\.csv[^"]*)"',
                                              page_html).group(1))
    assert "before" not in export_url  # the export is the filter, not the page
    response = client.get(export_url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    seqs = list(dict.fromkeys(int(row["seq"]) for row in rows))
    assert seqs == expected


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
    assert "login failure" in html
