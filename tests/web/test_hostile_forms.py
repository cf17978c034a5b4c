"""Every public endpoint, attacked with random and hostile requests (hypothesis): each answer
is a page or a 4xx with a message, never a 5xx; the caller's markup comes back escaped; no
record is left half stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.web.hostile import (
    ALLOWED_ORIGIN,
    BODY_KINDS,
    JSON_VALUE,
    QUICK,
    TEXT,
    TRUNCATED_BODIES,
    Target,
    assert_answered,
    body,
    nested_json,
    stored_whole,
    target,
)

pytestmark = TRUNCATED_BODIES


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Target]:
    with target(request, tmp_path_factory.mktemp("hostile-forms")) as found:
        yield found


FIELD_NAMES = st.sampled_from(["email", "first_name", "consent", "consent_version", "website",
                               "use_suggestion", "keep_address", "scope", "List-Unsubscribe",
                               "for", "timezone", "send_hour", "course_enabled",
                               "newsletter_enabled", "weekdays_only", "csrf_token"])
FIELDS = st.dictionaries(st.one_of(FIELD_NAMES, TEXT), TEXT, max_size=8)
SIGNUP_FORMS = ["/subscribe", "/subscribe/embed", "/links/fresh"]


@QUICK
@given(path=st.sampled_from(SIGNUP_FORMS), kind=st.sampled_from(BODY_KINDS), fields=FIELDS,
       with_token=st.booleans())
def test_signup_forms_answer_every_body(
    site: Target, path: str, kind: str, fields: dict[str, str], with_token: bool
) -> None:
    if with_token:  # past the CSRF check, into the form's own validation
        fields = {**fields, "csrf_token": site.csrf}
    data, content_type = body(kind, fields)
    assert_answered(site.client.post(path, data=data, content_type=content_type))
    stored_whole(site.app)


ORIGINS = st.sampled_from([None, ALLOWED_ORIGIN, "http://localhost", "https://attacker.example",
                           "null", "https://calmhands.example.attacker.example"])


@QUICK
@given(value=JSON_VALUE, origin=ORIGINS)
@example(value={"email": "a@example.com", "first_name": "\ud800", "consent": True}, origin=None)
@example(value={"email": "\udfff@example.com", "consent": True}, origin=ALLOWED_ORIGIN)
def test_json_signup_answers_every_value(site: Target, value: object, origin: str | None) -> None:
    headers = {"Origin": origin} if origin else {}
    data = json.dumps(value).encode()  # \ud800 goes as the JSON escape, as JSON allows
    response = site.client.post("/subscribe", data=data, headers=headers,
                                content_type="application/json")
    assert_answered(response)
    assert response.is_json, response.get_data()[:200]
    stored_whole(site.app)


@QUICK
@given(fields=st.fixed_dictionaries({"email": TEXT, "first_name": TEXT, "consent": TEXT}),
       origin=ORIGINS)
def test_json_signup_with_form_fields(site: Target, fields: dict[str, str],
                                      origin: str | None) -> None:
    headers = {"Origin": origin} if origin else {}
    response = site.client.post("/subscribe", data=json.dumps(fields), headers=headers,
                                content_type="application/json")
    assert_answered(response)
    stored_whole(site.app)


@pytest.mark.parametrize("path", ["/subscribe", "/subscribe/embed", "/links/fresh"])
def test_deeply_nested_json_is_refused(site: Target, path: str) -> None:
    response = site.client.post(path, data=nested_json(5000), content_type="application/json")
    assert 400 <= response.status_code < 500, response.status_code


@pytest.mark.parametrize("path", ["/subscribe", "/subscribe/embed", "/links/fresh"])
def test_a_part_without_a_name_is_refused_kindly(site: Target, path: str) -> None:
    data, content_type = body("multipart-odd", {"email": "a@example.com"})
    assert_answered(site.client.post(path, data=data, content_type=content_type))


def _link(site: Target, kind: str) -> str:
    return site.links[kind]


TOKEN = st.one_of(TEXT.filter(bool), st.builds("{}{}".format, st.sampled_from(
    ["", "."]), st.text("ABCDEFabcdef0123456789._-", min_size=1, max_size=120)))
TOKEN_PAGES = ["/confirm/{}", "/unsubscribe/{}", "/preferences/{}", "/preferences/{}/pause",
               "/preferences/{}/resume", "/preferences/{}/restart", "/preferences/{}/delete",
               "/preferences/{}/subscribe-again", "/preferences/{}/data.json"]


@QUICK
@given(page=st.sampled_from(TOKEN_PAGES), token=TOKEN, method=st.sampled_from(["GET", "POST"]),
       kind=st.sampled_from(BODY_KINDS), fields=FIELDS)
def test_signed_link_pages_answer_any_token(
    site: Target, page: str, token: str, method: str, kind: str, fields: dict[str, str]
) -> None:
    path = page.format(quote(token.encode("utf-8", "surrogatepass"), safe=""))
    data, content_type = body(kind, fields)
    response = site.client.open(path, method=method, data=data, content_type=content_type)
    assert_answered(response)
    assert response.status_code >= 400  # no made-up token is ever a real link
    stored_whole(site.app)


SUB_ACTIONS = ["", "/pause", "/resume", "/restart", "/subscribe-again"]


@QUICK
@given(action=st.sampled_from(SUB_ACTIONS), kind=st.sampled_from(BODY_KINDS), fields=FIELDS,
       with_token=st.booleans())
def test_preferences_with_a_real_link_answer_every_body(
    site: Target, action: str, kind: str, fields: dict[str, str], with_token: bool
) -> None:
    if with_token:
        fields = {**fields, "csrf_token": site.csrf}
    data, content_type = body(kind, fields)
    path = _link(site, "preferences") + action
    assert_answered(site.client.post(path, data=data, content_type=content_type))
    assert_answered(site.client.get(_link(site, "preferences")))
    stored_whole(site.app)


@QUICK
@given(page=st.sampled_from(["confirm", "unsubscribe"]), kind=st.sampled_from(BODY_KINDS),
       fields=FIELDS)
@example(page="unsubscribe", kind="urlencoded", fields={"List-Unsubscribe": "One-Click"})
@example(page="unsubscribe", kind="multipart", fields={"List-Unsubscribe": "One-Click"})
def test_confirm_and_unsubscribe_with_a_real_link_answer_every_body(
    site: Target, page: str, kind: str, fields: dict[str, str]
) -> None:
    data, content_type = body(kind, fields)
    assert_answered(site.client.post(_link(site, page), data=data, content_type=content_type))
    assert_answered(site.client.get(_link(site, page)))
    stored_whole(site.app)


PAGES = st.sampled_from(["/", "/embed", "/healthz", "/course/exercises", "/newsletter",
                         "/course/images/{}.png", "/clinic/{}", "/{}"])
HEADER_VALUE = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)


@QUICK
@given(page=PAGES, name=TEXT, query=TEXT, method=st.sampled_from(
    ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]),
    headers=st.dictionaries(st.sampled_from(["Accept", "Origin", "Referer", "Accept-Language",
                                             "If-None-Match", "Range", "Cookie"]),
                            HEADER_VALUE, max_size=4))
@example(page="/course/images/{}.png", name="../../etc/passwd", query="", method="GET",
         headers={})
def test_every_page_answers_any_request(
    site: Target, page: str, name: str, query: str, method: str, headers: dict[str, str]
) -> None:
    encoded = quote(name.encode("utf-8", "surrogatepass"), safe="")
    path = page.format(encoded) + "?q=" + quote(query.encode("utf-8", "surrogatepass"))
    assert_answered(site.client.open(path, method=method, headers=headers))


def test_the_attacked_site_still_serves_its_patient(site: Target) -> None:
    assert site.client.get(_link(site, "preferences")).status_code == 200
    assert site.client.get("/healthz").status_code == 200
