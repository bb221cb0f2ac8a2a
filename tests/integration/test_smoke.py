import pytest


@pytest.mark.parametrize("i", range(10))
def test_login_page(client, i):
    assert client.get("/login").status_code == 200
