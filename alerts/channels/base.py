"""What every channel implements, and the error that tells the outbox whether to retry."""

from __future__ import annotations

from typing import Protocol

from alerts.render import Message


class DeliveryError(Exception):
    """A failed send: `permanent` = retrying cannot help; `retry_after` = seconds asked to wait."""

    def __init__(self, message: str, *, permanent: bool = False,
                 retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class Channel(Protocol):
    name: str

    def send(self, message: Message, address: str) -> None:
        """Deliver or raise DeliveryError."""


def http_error(status: int, detail: str, retry_after: float | None = None) -> DeliveryError:
    """4xx other than 408/429 will fail the same way again; 5xx, 408 and 429 are transient."""
    permanent = 400 <= status < 500 and status not in (408, 429)
    return DeliveryError(f"HTTP {status}: {detail[:300]}", permanent=permanent,
                         retry_after=retry_after)
