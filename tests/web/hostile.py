"""What an attacker sends, as hypothesis strategies, and the checks every answer must pass:
no 5xx, no markup of theirs unescaped, no record half stored, no header or recipient added."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, true
from werkzeug.test import TestResponse

from service.delivery.dispatch import run_pass
from service.extensions import db
from service.models import Consent, Delivery, Enrolment, Subscriber, SubscriberStatus, utcnow
from service.models.delivery import MessageKind
from tests.conftest import _truncate_postgres, make_app
from tests.smtp_server import Received, SMTPServer
from tests.web.conftest import csrf_token, link_in, load_course

# Bounded and without a per-example deadline: two shared cores make timings noisy, and a
# slow example is not a wrong one. Each property stays a few seconds.
QUICK = settings(max_examples=40, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture,
                                        HealthCheck.too_slow])

# A truncated multipart body makes werkzeug drop its temporary file unclosed (the garbage
# collector closes it): werkzeug's own, and no answer of ours changes with it. A module
# that sends such bodies sets `pytestmark = TRUNCATED_BODIES`.
TRUNCATED_BODIES = pytest.mark.filterwarnings(
    "ignore:Exception ignored in.*SpooledTemporaryFile:pytest.PytestUnraisableExceptionWarning")

# Markup that must come back escaped (&lt;x-canary) wherever it is shown.
CANARY = '"><x-canary onload=alert(1)>'
HOSTILE = [
    CANARY, "\ud800", "\udfff x", "a\x00b", "\r\nBcc: thief@attacker.example",
    "Ann\nTo: thief@attacker.example", "=?utf-8?q?Bcc:_thief@attacker.example?=",
    "\u202egnp.exe", "<script>alert(1)</script>",
    "victim@ｅxample.com", "victim@example。com", "thief@attacker.example, victim@example.com",
    "victim@example.com\r\nBcc: thief@attacker.example", '"a@b"@example.com', "\t\x0b\x0c",
    "%0d%0aBcc:thief@attacker.example", "{{ 7*7 }}", "${7*7}", "../../etc/passwd",
]
# Any code point, unpaired surrogates and control characters included.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=80)
# Huge values: past every field's limit, and past the body limit (MAX_CONTENT_LENGTH).
HUGE = st.builds(str.__mul__, st.sampled_from(["x", "é", "<x-canary>", "\r\n"]),
                 st.sampled_from([300, 5_000, 70_000]))
TEXT = st.one_of(ANY_TEXT, st.sampled_from(HOSTILE), HUGE,
                 st.builds("{}{}".format, ANY_TEXT, st.sampled_from(HOSTILE)))
ADDRESS = st.one_of(TEXT, st.emails().map(str), st.builds(
    "{}@example.com".format, st.text("abcdefghijklmnop.+-_\r\n<>\"", min_size=1, max_size=20)))
JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


def _encode(value: str) -> str:
    # What a browser or a script sends: UTF-8, an unpaired surrogate as its raw bytes.
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def urlencoded(fields: dict[str, str]) -> bytes:
    """An application/x-www-form-urlencoded body, any code point allowed."""
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in fields.items()).encode()


def multipart(fields: dict[str, str], odd: bool = False, boundary: str = "HoStIlE") -> bytes:
    """A multipart/form-data body with the fields; `odd` adds parts a form never sends."""
    parts = [f'Content-Disposition: form-data; name="{k}"\r\n\r\n{v}'
             for k, v in fields.items()]
    if odd:
        parts += ["Content-Disposition: form-data\r\n\r\nno name",
                  'Content-Disposition: form-data; name="file"; filename="../x.html"\r\n'
                  "Content-Type: text/html\r\n\r\n<x-canary>"]
    body = "".join(f"--{boundary}\r\n{p}\r\n" for p in parts) + f"--{boundary}--\r\n"
    return body.encode("utf-8", "surrogatepass")


BODY_KINDS = ["urlencoded", "multipart", "multipart-odd", "json-typed-as-form", "text/plain",
              "truncated"]


def body(kind: str, fields: dict[str, str]) -> tuple[bytes, str]:
    """A request body of `kind` carrying `fields`, and its Content-Type."""
    if kind == "urlencoded":
        return urlencoded(fields), "application/x-www-form-urlencoded"
    if kind.startswith("multipart"):
        odd = kind == "multipart-odd"
        return multipart(fields, odd=odd), "multipart/form-data; boundary=HoStIlE"
    if kind == "json-typed-as-form":
        return json.dumps(fields).encode(), "application/x-www-form-urlencoded"
    if kind == "text/plain":
        return urlencoded(fields), "text/plain; charset=utf-8"
    return multipart(fields, odd=True)[:-20], "multipart/form-data; boundary=HoStIlE"


def nested_json(depth: int) -> bytes:
    """A JSON object whose email is a list nested `depth` deep."""
    return ('{"email": ' + "[" * depth + "]" * depth + ', "consent": true}').encode()


def assert_answered(response: TestResponse) -> None:
    """A 4xx or better, never a server error; markup of ours only, never the caller's."""
    assert response.status_code < 500, (response.status_code, response.get_data()[:500])
    if response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        assert "<x-canary" not in page and "<script>alert" not in page, page[:500]


def stored_whole(app: Flask, imports: bool = False) -> None:
    """Every stored subscriber is whole: a consent record, and mail queued if pending.

    With `imports` (the admin's CSV upload), a pending row may come with neither: it was
    imported without a confirmation time, and is sent nothing until someone asks it.
    Every active subscriber still has a consent record, and nothing outlives its subscriber.
    """
    with app.app_context():
        session = db.session()
        bare = session.scalar(select(func.count()).select_from(Subscriber).where(
            ~Subscriber.consents.any(),
            Subscriber.status == SubscriberStatus.ACTIVE if imports else true()))
        assert bare == 0, "a subscriber without a consent record"
        for model in (Consent, Enrolment, Delivery):
            orphans = session.scalar(select(func.count()).select_from(model).where(
                model.subscriber_id.is_not(None),
                ~model.subscriber_id.in_(select(Subscriber.id))))
            assert orphans == 0, f"a {model.__name__} row without its subscriber"
        unmailed = session.scalars(select(Subscriber.email).where(
            Subscriber.status == SubscriberStatus.PENDING,
            Subscriber.consents.any() if imports else true(),
            ~select(Delivery.id).where(Delivery.subscriber_id == Subscriber.id,
                                       Delivery.kind == MessageKind.CONFIRMATION).exists(),
        )).all()
        assert not unmailed, f"pending without a confirmation queued: {unmailed}"
        for email, name in session.execute(select(Subscriber.email, Subscriber.first_name)):
            assert "\r" not in email + name and "\n" not in email + name, (email, name)
        session.rollback()


HEADERS = {"from", "to", "subject", "date", "message-id", "mime-version", "content-type",
           "content-transfer-encoding", "list-unsubscribe", "list-unsubscribe-post",
           "list-id", "auto-submitted", "precedence", "reply-to", "feedback-id",
           "x-entity-ref-id"}


def assert_clean_mail(message: EmailMessage, envelope_to: list[str]) -> None:
    """One recipient, the one in the envelope; only our headers; the caller's markup escaped."""
    assert len(envelope_to) == 1, envelope_to
    to = message.get_all("To") or []
    assert len(to) == 1 and len(to[0].addresses) == 1, to
    assert to[0].addresses[0].addr_spec.lower() == envelope_to[0].lower(), (to, envelope_to)
    names = {name.lower() for name in message.keys()}
    assert names <= HEADERS, names - HEADERS
    assert not {"bcc", "cc"} & names
    for name, value in message.items():
        assert "\n" not in str(value) and "\r" not in str(value), (name, value)
    html = message.get_body(("html",))
    if html is not None:
        assert "<x-canary" not in html.get_content()


class Target:
    """One app for a whole test module, mailing a loopback SMTP server, with a patient
    signed up and confirmed so the signed-link pages have real links to be attacked with."""

    def __init__(self, app: Flask, smtp: SMTPServer) -> None:
        self.app, self.smtp = app, smtp
        self.client = app.test_client()
        self.csrf = csrf_token(self.client.get("/").text)
        self.links = self._patient("patient@example.com")

    def deliver(self) -> list[Received]:
        """Run the worker's pass; what reached the SMTP server in it."""
        before = len(self.smtp.handler.received)
        run_pass(self.app, utcnow())
        with self.smtp.handler.lock:
            return list(self.smtp.handler.received[before:])

    def _patient(self, email: str) -> dict[str, str]:
        self.client.post("/subscribe", json={"email": email, "first_name": "Pat",
                                             "consent": True})
        self.deliver()
        links = {"confirm": link_in(self.smtp.messages_to(email)[-1], "confirm")}
        self.client.post(links["confirm"])
        self.deliver()
        lesson = self.smtp.messages_to(email)[-1]
        links.update({kind: link_in(lesson, kind) for kind in ("unsubscribe", "preferences")})
        return links


@contextmanager
def target(request: pytest.FixtureRequest, folder: Path) -> Iterator[Target]:
    """A Target on SQLite or (param "postgresql", with TEST_DATABASE_URL) PostgreSQL."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_schema")
        _truncate_postgres(url)
    else:
        url = f"sqlite:///{folder / 'hostile.sqlite3'}"
    with SMTPServer() as smtp:
        app = make_app(url, folder, SMTP_URL=smtp.url, PROPAGATE_EXCEPTIONS=False,
                       ALLOWED_ORIGINS=[ALLOWED_ORIGIN])
        load_course(app)
        try:
            yield Target(app, smtp)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


ALLOWED_ORIGIN = "https://calmhands.example"
