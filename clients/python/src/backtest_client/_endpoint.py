"""Server addresses: parsing URLs and finding an address in a discovery command's output.

The rules are the Swift client's (``Endpoint.swift``, ``DiscoveryOutput.swift``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._errors import ConfigurationError

DEFAULT_PORT = 8000

_HEX = set("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class Endpoint:
    """One server: scheme, host and port, e.g. ``http://127.0.0.1:8000``."""

    scheme: str
    host: str
    port: int

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def __str__(self) -> str:
        return self.url

    def with_scheme(self, scheme: str) -> Endpoint:
        return Endpoint(scheme, self.host, self.port)

    @staticmethod
    def parse(text: str, default_port: int = DEFAULT_PORT) -> Endpoint | None:
        """Parses ``http://host:port``, ``https://host``, ``host:port``, ``host``, ``[v6]:port``
        or a bare IPv6 address; a trailing ``/`` is ignored. ``None`` for anything else."""
        rest = text.strip()
        scheme = "http"
        if "://" in rest:
            scheme, rest = rest.split("://", 1)
            scheme = scheme.lower()
            if scheme not in ("http", "https"):
                return None
        rest = rest.rstrip("/")
        if not rest or "/" in rest or any(c.isspace() for c in rest):
            return None
        port = 443 if scheme == "https" else default_port
        if rest.startswith("["):
            close = rest.find("]")
            if close < 0:
                return None
            host = rest[1:close]
            after = rest[close + 1 :]
            if after:
                if not after.startswith(":") or not after[1:].isdigit():
                    return None
                port = int(after[1:])
        elif rest.count(":") > 1:
            host = rest  # a bare IPv6 address
        elif ":" in rest:
            host, _, port_text = rest.partition(":")
            if not port_text.isdigit():
                return None
            port = int(port_text)
        else:
            host = rest
        if not host or not 1 <= port <= 65535:
            return None
        return Endpoint(scheme, host, port)

    @staticmethod
    def parse_list(text: str, default_port: int = DEFAULT_PORT) -> list[Endpoint]:
        """Parses a comma-separated list; raises ``ConfigurationError`` (``invalid_url``)."""
        endpoints: list[Endpoint] = []
        for part in text.split(","):
            item = part.strip()
            if not item:
                continue
            endpoint = Endpoint.parse(item, default_port)
            if endpoint is None:
                raise ConfigurationError(
                    f"'{item}' is not a server URL (expected http://HOST:PORT)", code="invalid_url"
                )
            if endpoint not in endpoints:
                endpoints.append(endpoint)
        if not endpoints:
            raise ConfigurationError(f"no server URL in '{text}'", code="invalid_url")
        return endpoints


_SEPARATOR = re.compile(r"[^0-9a-fA-F.:\[\]]+")


def endpoint_in_output(output: str, default_port: int = DEFAULT_PORT) -> Endpoint | None:
    """The first IPv4 or IPv6 address anywhere in ``output`` (``External IP: 35.1.2.3``
    works); ``ADDR:PORT`` or ``[V6]:PORT`` keeps its port. Scheme ``http``."""
    for token in _SEPARATOR.split(output):
        if not token:
            continue
        found = _ipv4(token, default_port) or _ipv6(token, default_port)
        if found:
            return found
    return None


def _ipv4(token: str, default_port: int) -> Endpoint | None:
    t = token.rstrip(".:")
    pieces = t.split(":")
    if len(pieces) not in (1, 2) or not _is_ipv4(pieces[0]):
        return None
    port = default_port
    if len(pieces) == 2:
        if not pieces[1].isdigit() or not 1 <= int(pieces[1]) <= 65535:
            return None
        port = int(pieces[1])
    return Endpoint("http", pieces[0], port)


def _is_ipv4(s: str) -> bool:
    octets = s.split(".")
    return len(octets) == 4 and all(o and len(o) <= 3 and o.isascii() and o.isdigit() and int(o) <= 255 for o in octets)


def _ipv6(token: str, default_port: int) -> Endpoint | None:
    host = token
    port = default_port
    if token.startswith("["):
        close = token.find("]")
        if close < 0:
            return None
        host = token[1:close]
        after = token[close + 1 :]
        if after.startswith(":") and after[1:].isdigit() and 1 <= int(after[1:]) <= 65535:
            port = int(after[1:])
    if not _is_ipv6(host):
        return None
    return Endpoint("http", host, port)


def _is_ipv6(s: str) -> bool:
    if ":" not in s or len(s) < 2 or not all(c in _HEX or c in ":." for c in s):
        return False
    double_colons = s.count("::")
    if double_colons > 1:
        return False
    groups = [g for g in s.split(":") if g]
    if not groups and double_colons != 1:
        return False
    count = 0
    for i, g in enumerate(groups):
        if "." in g:
            if i != len(groups) - 1 or not _is_ipv4(g):
                return False
            count += 2
        else:
            if len(g) > 4:
                return False
            count += 1
    # A time like 12:30 is not an address: 8 groups, or `::` compression.
    return count < 8 if double_colons == 1 else count == 8
