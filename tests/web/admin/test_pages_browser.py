"""Every admin page in Chromium at 375 and 600 px: the page never scrolls sideways (a wide
table scrolls in its own box), axe-core finds no serious or critical violation at either
width, and nothing on it needs the inline style or script the admin's CSP refuses.

The pages come from app.url_map, so a new GET page under /admin is walked without editing
this file: `NOT_PAGES` names the GET endpoints that answer something other than a page, and
`samples` the seeded object each URL argument opens. The walk is an owner who is also a
clinician, so every menu entry, button and review form shows; then a few states a URL alone
does not reach (a lesson sent back, form errors, the login page with its error).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import url_for
from werkzeug.routing import Rule

from service.web.admin.access import PUBLIC_ENDPOINTS
from tests.web.admin.conftest import PASSWORD, ClinicSite
from tests.web.pages import WIDTHS, check_page, needs_chromium

pytestmark = needs_chromium

NOT_PAGES = {
    "admin.subscribers_export": "a CSV download",
    "admin.outbox_html": "an email's HTML part, shown in a frame (tests/mail checks emails)",
    "admin.preview_revision": "a lesson email, shown in the editor's frame",
    "admin.newsletter_preview": "a newsletter email, shown in the compose page's frame",
    "admin.newsletter_progress": "JSON for the progress bar of an issue that is sending",
}
# Markup the admin's CSP (no 'unsafe-inline') would refuse, so a page must not need it.
INLINE = "document.querySelectorAll('[style], script:not([src]), [onclick], [onload]').length"


def samples(site: ClinicSite) -> dict[str, object]:
    """The seeded object to open for each URL argument a page takes."""
    clinic = site.clinic
    return {
        "subscriber_id": clinic.patients["Maria"], "staff_id": clinic.staff_ids["editor"],
        "slug": clinic.in_review[0], "number": clinic.in_review[1],
        "name": clinic.outbox_file, "issue_id": clinic.issue_id,
    }


def page_urls(site: ClinicSite) -> list[str]:
    """Every admin GET page of the url map, its arguments filled from `samples`."""
    known = samples(site)
    rules: list[Rule] = sorted(
        (r for r in site.app.url_map.iter_rules()
         if r.endpoint.startswith("admin.") and "GET" in (r.methods or ())
         and r.endpoint not in NOT_PAGES
         and r.endpoint not in PUBLIC_ENDPOINTS),  # walked logged out, below
        key=lambda r: r.rule)
    urls = []
    with site.app.test_request_context():
        for rule in rules:
            missing = sorted(set(rule.arguments) - set(known))
            assert not missing, (f"{rule.endpoint} takes {missing}: give samples() a seeded "
                                 "value for it, or list the endpoint in NOT_PAGES")
            urls.append(url_for(rule.endpoint, **{a: known[a] for a in rule.arguments}))
    return urls


@pytest.fixture(scope="module")
def owner_page(browser: Any, clinic_site: ClinicSite) -> Iterator[Any]:
    """A window logged in as the clinic's owner; axe-core is let in past the CSP."""
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 740},
                                  bypass_csp=True)
    page = context.new_page()
    page.goto(clinic_site.url + "/admin/login")
    page.get_by_label("Email").fill(clinic_site.clinic.staff["owner"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    yield page
    context.close()


def _check(page: Any, axe: str, name: str, problems: list[str]) -> None:
    """Check the page as it stands, adding what is wrong with it to `problems`."""
    if inline := page.evaluate(INLINE):
        problems.append(f"{name}: {inline} element(s) with inline style or script")
    try:
        check_page(page, axe, name, axe_widths=WIDTHS)
    except AssertionError as error:
        problems.append(str(error))


def test_every_admin_page_fits_a_phone_and_passes_axe(
    clinic_site: ClinicSite, owner_page: Any, axe_source: str
) -> None:
    urls = page_urls(clinic_site)
    assert len(urls) >= 12, urls
    problems: list[str] = []
    for path in urls:
        response = owner_page.goto(clinic_site.url + path)
        if response.status != 200 or "text/html" not in response.headers["content-type"]:
            problems.append(f"{path}: {response.status} {response.headers['content-type']} "
                            "(not a page? list it in NOT_PAGES)")
            continue
        _check(owner_page, axe_source, path, problems)
    assert problems == [], "\n".join(problems)


def test_the_pages_in_other_states(
    clinic_site: ClinicSite, owner_page: Any, browser: Any, axe_source: str
) -> None:
    """What a URL alone does not show: a lesson sent back, form errors, logged out."""
    url = clinic_site.url
    problems: list[str] = []
    owner_page.goto(url + "/admin/lessons/your-session")  # the reviewer's comment shows
    _check(owner_page, axe_source, "a lesson sent back", problems)
    owner_page.goto(url + "/admin/staff/new")
    owner_page.get_by_role("button", name="Save").click()
    owner_page.get_by_text("This field is required.").first.wait_for()
    _check(owner_page, axe_source, "staff form with errors", problems)

    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 740},
                                  bypass_csp=True)
    stranger = context.new_page()
    stranger.goto(url + "/admin/")
    stranger.get_by_label("Email").fill("someone@clinic.example")
    stranger.get_by_label("Password").fill("not the password")
    stranger.get_by_role("button", name="Log in").click()
    stranger.get_by_text("do not match").wait_for()
    described = stranger.get_by_label("Password").get_attribute("aria-describedby")
    assert "do not match" in stranger.locator(f"[id='{described}']").inner_text(timeout=1000)
    _check(stranger, axe_source, "login with a wrong password", problems)
    context.close()
    assert problems == [], "\n".join(problems)
