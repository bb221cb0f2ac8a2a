"""Helpers shared by the tests."""

import contextlib

from sqlalchemy import event

from labtrack.extensions import db

PASSWORD = "correct horse battery"


def login(client, username, password=PASSWORD, follow=False):
    """Sign in through the real form, with its CSRF token."""
    page = client.get("/login")
    token = csrf_token_from(page)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token}, follow_redirects=follow)


def csrf_token_from(response) -> str:
    html = response.get_data(as_text=True)
    marker = 'name="csrf_token" type="hidden" value="'
    start = html.find(marker)
    if start < 0:
        marker = 'name="csrf_token" value="'
        start = html.find(marker)
    assert start >= 0, "page has no CSRF token"
    start += len(marker)
    return html[start:html.index('"', start)]


@contextlib.contextmanager
def statements_run():
    """Collect the SQL statements run inside the block (the list fills as they run)."""
    statements: list[str] = []

    def count(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
