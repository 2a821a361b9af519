"""Pages in a browser's terms: the theme each is rendered in, and errors as pages of the app."""

from __future__ import annotations

from flask.testing import FlaskClient

HTML = {"Accept": "text/html,application/xhtml+xml"}


def test_a_refused_page_is_a_page_of_the_app_with_its_navigation(browser_as) -> None:
    viewer: FlaskClient = browser_as("viewer")
    response = viewer.get("/planner", headers=HTML)
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "403 Forbidden" in page and "this needs the operator role; you are viewer" in page
    assert 'nav id="main-nav"' in page and ">Sign out<" in page and "theme-switch" in page
    assert ">Planner<" not in page  # the navigation offers only what the viewer may open


def test_an_unknown_page_is_a_404_page_and_the_api_still_answers_json(browser_as) -> None:
    admin: FlaskClient = browser_as("admin")
    response = admin.get("/no-such-page", headers=HTML)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "404 Not Found" in response.get_data(as_text=True)
    api = admin.get("/api/no-such-thing", headers=HTML)
    assert api.status_code == 404 and api.get_json()["error"] == "Not Found"


def test_the_daylight_theme_chosen_is_rendered_from_its_cookie(browser_as) -> None:
    admin: FlaskClient = browser_as("admin")
    assert '<html lang="en" data-theme="dark">' in admin.get("/").get_data(as_text=True)
    admin.set_cookie("dp_theme", "daylight")
    assert '<html lang="en" data-theme="daylight">' in admin.get("/").get_data(as_text=True)
    admin.set_cookie("dp_theme", '"><script>')  # anything else: the default, never echoed
    page = admin.get("/").get_data(as_text=True)
    assert '<html lang="en" data-theme="dark">' in page and '<script>"' not in page
    assert '<script type="module" src="/static/theme.js">' in page
