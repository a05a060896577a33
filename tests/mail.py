"""A real SMTP server for the mail tests: aiosmtpd on a free local port,
keeping every delivered message; ``refuse`` makes it answer 451 instead."""
from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """aiosmtpd's handler: what arrived, parsed."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = False
        self.delay = 0.0  # seconds between keeping a message and answering
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.0 try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        if self.delay:  # kept, but the answer is late: a sender killed now sends it again
            await asyncio.sleep(self.delay)
        return "250 OK"


class SmtpServer:
    def __init__(self):
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list:
        with self.mailbox.lock:
            return list(self.mailbox.messages)

    def clear(self) -> None:
        with self.mailbox.lock:
            self.mailbox.messages.clear()
        self.mailbox.refuse = False
        self.mailbox.delay = 0.0

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        """At least ``count`` messages, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


def link_token(message) -> str:
    """The token of the reset link in a message's body."""
    body = message.get_content()
    return body.split("token=", 1)[1].split()[0]
