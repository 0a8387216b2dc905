"""The client's exceptions: one hierarchy, each carrying a stable ``code``.

``code`` is the server problem's code (the last path segment of its ``type``, e.g.
``unknown_ticker``) when the server sent one, ``http_NNN`` for a status without one, or a
client-side code (``unreachable``, ``connect_timeout``, ``certificate_rejected``, ...), the
same codes the Swift client uses.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BacktestClientError",
    "ConfigurationError",
    "NoEndpointError",
    "TransportError",
    "TLSError",
    "ServerError",
    "AuthenticationError",
    "NotFoundError",
    "InvalidRequestError",
    "ServiceUnavailableError",
    "InvalidReplyError",
    "error_for_status",
    "error_for_code",
]


class BacktestClientError(Exception):
    """An error of the client; ``str(error)`` names the server and the reason.

    Attributes:
        code: stable, machine-readable code (see the module doc).
        message: what went wrong, for people.
        status: the HTTP status, when the server answered.
        endpoint: the server URL the failing request went to, if one.
        problem: the server's problem document (a dict), when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "error",
        status: int | None = None,
        endpoint: str | None = None,
        problem: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.endpoint = endpoint
        self.problem = problem

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, message={self.message!r})"


class ConfigurationError(BacktestClientError):
    """A malformed URL, config file or CA certificate file (``invalid_url``,
    ``config_invalid``, ``config_unreadable``, ``ca_cert_invalid``)."""


class NoEndpointError(BacktestClientError):
    """No server was found (``no_endpoint``); the message lists every step that was tried."""


class TransportError(BacktestClientError):
    """No usable answer: connection refused, connect or read timeout, connection closed
    (``unreachable``, ``connect_timeout``, ``read_timeout``, ``connection_closed``)."""


class TLSError(BacktestClientError):
    """A refused certificate (``certificate_rejected``) or a failed TLS handshake
    (``tls_failed``). Never retried."""


class ServerError(BacktestClientError):
    """The server answered with an error status; ``problem`` holds its problem document."""


class AuthenticationError(ServerError):
    """401: a missing or wrong API key."""


class NotFoundError(ServerError):
    """404: an unknown ticker, job or route."""


class InvalidRequestError(ServerError):
    """400, 413 or 422: the request was refused (the field is named in the message)."""


class ServiceUnavailableError(ServerError):
    """429 (overloaded), 502, 503 (draining) or 504, after the retries."""


class InvalidReplyError(BacktestClientError):
    """A 2xx reply that is not what the API describes (``invalid_reply``)."""


_BY_CODE: dict[str, type[BacktestClientError]] = {
    "invalid_url": ConfigurationError,
    "config_invalid": ConfigurationError,
    "config_unreadable": ConfigurationError,
    "ca_cert_invalid": ConfigurationError,
    "invalid_request": ConfigurationError,
    "invalid_job_id": ConfigurationError,
    "discovery_failed": ConfigurationError,
    "discovery_no_address": ConfigurationError,
    "discovery_timeout": ConfigurationError,
    "no_endpoint": NoEndpointError,
    "unreachable": TransportError,
    "connect_timeout": TransportError,
    "read_timeout": TransportError,
    "connection_closed": TransportError,
    "certificate_rejected": TLSError,
    "tls_failed": TLSError,
    "invalid_reply": InvalidReplyError,
    "missing_item": InvalidReplyError,
}


def error_for_code(code: str, message: str, **kwargs: Any) -> BacktestClientError:
    """The exception of the right class for a client-side ``code``."""
    return _BY_CODE.get(code, BacktestClientError)(message, code=code, **kwargs)


def error_for_status(
    status: int, message: str, *, code: str, endpoint: str | None, problem: dict[str, Any] | None
) -> ServerError:
    """The exception of the right class for a non-2xx reply."""
    cls: type[ServerError]
    if status == 401:
        cls = AuthenticationError
    elif status == 404:
        cls = NotFoundError
    elif status in (400, 413, 422):
        cls = InvalidRequestError
    elif status in (429, 502, 503, 504):
        cls = ServiceUnavailableError
    else:
        cls = ServerError
    return cls(message, code=code, status=status, endpoint=endpoint, problem=problem)
