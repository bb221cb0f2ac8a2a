"""Lists count at most a thousand rows, and still page through everything."""

from sqlalchemy import select

from labtrack.accounts.models import User
from labtrack.web.pagination import paginate
from tests import builders


def users_query():
    return select(User).order_by(User.username)


def test_a_short_list_is_counted_exactly_without_a_count_query(app):
    builders.user("technician")
    page = paginate(users_query(), 1, 10)
    assert (page.total, page.pages, page.has_next, page.has_prev) == (1, 1, False, False)


def test_a_list_longer_than_the_cap_says_more_and_pages_on(app):
    names = sorted(builders.user("technician").username for _ in range(7))
    first = paginate(users_query(), 1, 3, cap=4)
    assert first.total is None and first.pages is None and first.has_next
    seen, number = [], 1
    while True:
        page = paginate(users_query(), number, 3, cap=4)
        seen += [user.username for user in page.items]
        if not page.has_next:
            break
        number += 1
    assert seen == names and number == 3
    exact = paginate(users_query(), 2, 3, cap=None)
    assert (exact.total, exact.pages) == (7, 3)


def test_a_list_page_shows_its_position_and_total(signed_in, app):
    client, _ = signed_in("admin")
    app.config["PAGE_SIZE"] = 1
    for _ in range(3):
        builders.user("technician")
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Page 1 of 4 (4 in all)" in html
