"""SMTP over TLS, as mail providers take it: STARTTLS on the submission port (smtp+starttls)
and TLS from the first byte (smtps), against aiosmtpd with a certificate made for the test.
The transport checks the server's certificate: one it cannot trust is a refusal."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from service.mail.bounces import Stage
from service.mail.transport import SendFailure, SMTPTransport
from tests.mail.test_transport import message_to
from tests.smtp_server import RecordingHandler, free_port

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None,
                                reason="openssl is needed to make the test certificate")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True)
    return cert, key


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


def _serve(handler: RecordingHandler, **tls: Any) -> Iterator[int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **tls)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def trusted(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The test certificate is trusted, as a real provider's is through the system's CAs."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


def test_starttls_hands_the_message_over_encrypted(
    certificate: tuple[Path, Path], trusted: None
) -> None:
    handler = RecordingHandler()
    for port in _serve(handler, tls_context=_server_context(certificate),
                       require_starttls=True):
        with SMTPTransport(f"smtp+starttls://127.0.0.1:{port}") as transport:
            transport.send(message_to("maria@example.com", "Lesson 1"))
        # The same server refuses a client that does not start TLS.
        with SMTPTransport(f"smtp://127.0.0.1:{port}") as plain:
            with pytest.raises(SendFailure) as refused:
                plain.send(message_to("maria@example.com", "In the clear"))
    assert [str(r.message["Subject"]) for r in handler.received] == ["Lesson 1"]
    assert refused.value.code == 530


def test_smtps_hands_the_message_over_encrypted(
    certificate: tuple[Path, Path], trusted: None
) -> None:
    handler = RecordingHandler()
    for port in _serve(handler, ssl_context=_server_context(certificate)):
        with SMTPTransport(f"smtps://127.0.0.1:{port}") as transport:
            transport.send(message_to("maria@example.com", "Lesson 2"))
    assert [str(r.message["Subject"]) for r in handler.received] == ["Lesson 2"]


def test_a_certificate_it_cannot_trust_is_refused_before_anything_is_sent(
    certificate: tuple[Path, Path]
) -> None:
    handler = RecordingHandler()
    for port in _serve(handler, tls_context=_server_context(certificate)):
        with SMTPTransport(f"smtp+starttls://127.0.0.1:{port}") as transport:
            with pytest.raises(SendFailure) as refused:
                transport.send(message_to("maria@example.com"))
    assert refused.value.stage == Stage.CONNECT and refused.value.code is None
    assert "certificate" in refused.value.reply.lower()
    assert handler.received == []
