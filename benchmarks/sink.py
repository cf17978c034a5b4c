"""A loopback SMTP sink in its own process: accepts every message, counts it, and can log
when each arrived (for latency) and keep the exact bytes (for a replay)."""

from __future__ import annotations

import multiprocessing
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Counter:
    def __init__(self, count: Any, log: str | None, keep: str | None) -> None:
        self.count = count
        # Line-buffered text and unbuffered frames: a reader in another process sees each
        # message as soon as the server has answered it.
        self.log = open(log, "a", buffering=1) if log else None  # noqa: SIM115
        self.keep = open(keep, "ab", buffering=0) if keep else None  # noqa: SIM115

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.keep is not None:
            sender = envelope.mail_from.encode()
            recipients = "\n".join(envelope.rcpt_tos).encode()
            data = envelope.original_content or envelope.content
            header = struct.pack(">III", len(sender), len(recipients), len(data))
            self.keep.write(header + sender + recipients + data)
        if self.log is not None:
            stamp = time.time()
            self.log.write("".join(f"{stamp:.6f}\t{r}\n" for r in envelope.rcpt_tos))
        with self.count.get_lock():
            self.count.value += 1
        return "250 OK"


def _serve(port: int, count: Any, ready: Any, stop: Any, log: str | None,
           keep: str | None) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_Counter(count, log, keep), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class Sink:
    """Start with `with Sink() as sink:`; `sink.url` for SMTP_URL, `sink.count` received.

    `log`: a file that gets "arrival time (epoch seconds) TAB recipient" per recipient.
    `keep`: a file that gets every message's envelope and bytes, read back with `kept()`.
    `port`: a given port, e.g. to start the server again where it was before.
    """

    def __init__(self, log: Path | None = None, keep: Path | None = None,
                 port: int | None = None) -> None:
        self.port = port or free_port()
        self.keep = keep
        context = multiprocessing.get_context("spawn")
        self._count = context.Value("i", 0)
        self._ready = context.Event()
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve, daemon=True,
            args=(self.port, self._count, self._ready, self._stop,
                  str(log) if log else None, str(keep) if keep else None))

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def count(self) -> int:
        return int(self._count.value)

    def kept(self) -> Iterator[tuple[str, list[str], bytes]]:
        """(envelope sender, recipients, message bytes) of every message kept, in order."""
        assert self.keep is not None, "Sink(keep=...) keeps the messages"
        data = self.keep.read_bytes()
        offset = 0
        while offset < len(data):
            sizes = struct.unpack_from(">III", data, offset)
            offset += 12
            parts = []
            for size in sizes:
                parts.append(data[offset:offset + size])
                offset += size
            yield parts[0].decode(), parts[1].decode().split("\n"), parts[2]

    def __enter__(self) -> Sink:
        self._process.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._process.join(10)
