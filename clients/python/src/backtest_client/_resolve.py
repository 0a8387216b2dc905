"""Finding the server, exactly as the Swift client does (``EndpointResolver.swift``):

1. explicit URLs (``base_url``, comma-separated; or ``vm_ip``);
2. ``BACKTEST_URL`` (same syntax);
3. the config file's ``server`` (``$XDG_CONFIG_HOME/backtest/config.json`` or
   ``~/.config/backtest/config.json``); when a discovery command is also configured, the
   server must answer ``GET /health``, else discovery runs (a VM that restarted with a new IP);
4. a discovery command (``BACKTEST_DISCOVER`` or the config's ``discover``): the first IPv4/IPv6
   address of its output, port from the output, ``BACKTEST_DISCOVER_PORT``, the config's
   ``server`` or 8000; ``https`` when a CA certificate is configured or the config's ``server``
   is ``https``; confirmed with ``GET /health``;
5. ``http://127.0.0.1:8000``, if it answers ``GET /health``.

The API key comes from the argument, ``BACKTEST_API_KEY`` or the config's ``api_key``; the CA
certificate from the argument, ``BACKTEST_CA_CERT`` or the config's ``ca_cert`` (relative to
the config file's folder).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._endpoint import DEFAULT_PORT, Endpoint, endpoint_in_output
from ._errors import BacktestClientError, ConfigurationError, NoEndpointError

__all__ = ["ClientConfig", "Resolution", "Resolver", "config_path", "load_config", "run_discovery"]


@dataclass
class ClientConfig:
    """The config file's members (``server`` joined with commas when it was a JSON list)."""

    server: str | None = None
    api_key: str | None = None
    ca_cert: str | None = None
    discover: str | None = None


def config_path(environ: Mapping[str, str]) -> str | None:
    """``$XDG_CONFIG_HOME/backtest/config.json``, else ``$HOME/.config/backtest/config.json``."""
    xdg = environ.get("XDG_CONFIG_HOME")
    if xdg:
        return xdg + "/backtest/config.json"
    home = environ.get("HOME")
    if home:
        return home + "/.config/backtest/config.json"
    return None


def load_config(path: str) -> ClientConfig | None:
    """The config at ``path``; ``None`` when there is none; ``ConfigurationError`` when it is
    not valid."""
    if not os.path.exists(path):
        return None
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        raise ConfigurationError(f"cannot read config file {path}", code="config_unreadable") from None
    invalid = ConfigurationError(
        f'config file {path} is not valid: expected {{"server": …, "api_key": …, "ca_cert": …, "discover": …}}',
        code="config_invalid",
    )
    try:
        doc = json.loads(data)
    except ValueError:
        raise invalid from None
    if not isinstance(doc, dict):
        raise invalid
    server = doc.get("server")
    if isinstance(server, list):
        if not all(isinstance(s, str) for s in server):
            raise invalid
        server = ",".join(server)
    values: dict[str, Any] = {"server": server}
    for key in ("api_key", "ca_cert", "discover"):
        values[key] = doc.get(key)
    if not all(v is None or isinstance(v, str) for v in values.values()):
        raise invalid
    return ClientConfig(**values)


def run_discovery(command: str, timeout: float) -> str:
    """Runs ``/bin/sh -c COMMAND`` and returns its standard output; a command that outlives
    ``timeout`` is killed (its whole process group)."""
    import signal  # here, not with the package: most clients never run a discovery command
    import subprocess

    try:
        process = subprocess.Popen(
            ["/bin/sh", "-c", command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as e:
        raise ConfigurationError(f"cannot run discovery command '{command}': {e}", code="discovery_failed") from None
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass
        process.kill()
        process.wait()
        if process.stdout:
            process.stdout.close()
        raise ConfigurationError(
            f"discovery command '{command}' did not finish within {_seconds(timeout)} s", code="discovery_timeout"
        ) from None
    if process.returncode != 0:
        raise ConfigurationError(
            f"discovery command '{command}' exited with status {process.returncode}", code="discovery_failed"
        )
    return out[: 1 << 20].decode("utf-8", "replace")


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _non_empty(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


@dataclass
class Resolution:
    """The outcome of resolution: the endpoints, which step won and why, and the credentials."""

    endpoints: list[Endpoint]
    source: str
    """``explicit``, ``environment``, ``config_file``, ``discovery`` or ``local_default``."""
    reason: str
    api_key: str | None = None
    api_key_source: str | None = None
    ca_cert: str | None = None
    ca_cert_source: str | None = None
    discovery_command: str | None = None
    skipped: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """A few lines in the words of ``backtest endpoint``."""
        lines = [f"{', '.join(e.url for e in self.endpoints)} ({self.source}: {self.reason})"]
        if self.api_key_source:
            lines.append(f"API key from {self.api_key_source}")
        if self.ca_cert:
            lines.append(f"CA certificate {self.ca_cert} (from {self.ca_cert_source})")
        lines += [f"skipped: {s}" for s in self.skipped]
        return "\n".join(lines)


class Resolver:
    """Resolution with every input injectable; ``probe(endpoint) -> bool`` answers whether an
    endpoint serves ``GET /health``."""

    def __init__(
        self,
        *,
        servers: str | None = None,
        vm_ip: str | None = None,
        port: int | None = None,
        api_key: str | None = None,
        ca_cert: str | None = None,
        environ: Mapping[str, str] | None = None,
        config_file: str | None = None,
        discovery_timeout: float = 20.0,
        discover: Callable[[str, float], str] = run_discovery,
        local_default: str = "http://127.0.0.1:8000",
        probe: Callable[[Endpoint], bool] = lambda e: False,
    ) -> None:
        self.servers = servers
        self.vm_ip = vm_ip
        self.port = port
        self.api_key = api_key
        self.ca_cert = ca_cert
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.config_file = config_file
        self.discovery_timeout = discovery_timeout
        self.run_discovery = discover
        parsed = Endpoint.parse(local_default)
        if parsed is None:
            raise ConfigurationError(f"'{local_default}' is not a server URL", code="invalid_url")
        self.local_default = parsed
        self.probe = probe

    # -- inputs -----------------------------------------------------------------------------

    def config_path(self) -> str | None:
        return self.config_file or config_path(self.environ)

    def config(self) -> ClientConfig | None:
        path = self.config_path()
        return load_config(path) if path else None

    def credentials(self, config: ClientConfig | None = None) -> tuple[str | None, str | None, str | None, str | None]:
        """``(api_key, its source, ca_cert, its source)``, without resolving endpoints."""
        path = self.config_path()
        if config is None and path:
            try:
                config = load_config(path)
            except BacktestClientError:
                config = None
        key, key_source = self._api_key(config, path)
        ca, ca_source = self._ca_cert(config, path)
        return key, key_source, ca, ca_source

    def _api_key(self, config: ClientConfig | None, path: str | None) -> tuple[str | None, str | None]:
        if _non_empty(self.api_key):
            return _non_empty(self.api_key), "the api_key argument"
        if _non_empty(self.environ.get("BACKTEST_API_KEY")):
            return _non_empty(self.environ.get("BACKTEST_API_KEY")), "BACKTEST_API_KEY"
        if config and _non_empty(config.api_key):
            return _non_empty(config.api_key), path or "config file"
        return None, None

    def _ca_cert(self, config: ClientConfig | None, path: str | None) -> tuple[str | None, str | None]:
        if _non_empty(self.ca_cert):
            return _non_empty(self.ca_cert), "the ca_cert argument"
        if _non_empty(self.environ.get("BACKTEST_CA_CERT")):
            return _non_empty(self.environ.get("BACKTEST_CA_CERT")), "BACKTEST_CA_CERT"
        if config and _non_empty(config.ca_cert) and path:
            ca = _non_empty(config.ca_cert) or ""
            if not ca.startswith("/"):
                ca = os.path.join(os.path.dirname(path), ca)
            return ca, path
        return None, None

    # -- resolution -------------------------------------------------------------------------

    def resolve(self) -> Resolution:
        """Resolves the endpoints; raises ``NoEndpointError`` (naming every step's reason),
        ``ConfigurationError`` for malformed inputs or a CA file that is not one."""
        env = self.environ
        skipped: list[str] = []
        path = self.config_path()
        config = load_config(path) if path else None
        api_key, api_key_source = self._api_key(config, path)
        ca, ca_source = self._ca_cert(config, path)
        if ca:
            check_ca_cert(ca, ca_source or "the ca_cert argument")

        def done(endpoints: list[Endpoint], source: str, reason: str, discovery: str | None = None) -> Resolution:
            return Resolution(
                endpoints=endpoints,
                source=source,
                reason=reason,
                api_key=api_key,
                api_key_source=api_key_source,
                ca_cert=ca,
                ca_cert_source=ca_source,
                discovery_command=discovery,
                skipped=skipped,
            )

        configured_url = config.server if config else None
        configured_first = _first_endpoint(configured_url)

        if _non_empty(self.servers):
            return done(
                Endpoint.parse_list(self.servers or "", self.port or DEFAULT_PORT), "explicit", "base_url was given"
            )
        if _non_empty(self.vm_ip):
            vm = Endpoint.parse(self.vm_ip or "", self.port or DEFAULT_PORT)
            if vm is None:
                raise ConfigurationError(f"'{self.vm_ip}' is not an address (vm_ip)", code="invalid_url")
            if "://" not in (self.vm_ip or "") and (ca or (configured_first and configured_first.scheme == "https")):
                vm = vm.with_scheme("https")
            return done([vm], "explicit", "vm_ip was given")
        skipped.append("base_url/vm_ip: not given")
        if _non_empty(env.get("BACKTEST_URL")):
            return done(Endpoint.parse_list(env.get("BACKTEST_URL") or ""), "environment", "BACKTEST_URL is set")
        skipped.append("BACKTEST_URL: not set")

        discovery: tuple[str, str] | None = None
        if _non_empty(env.get("BACKTEST_DISCOVER")):
            discovery = (_non_empty(env.get("BACKTEST_DISCOVER")) or "", "BACKTEST_DISCOVER")
        elif config and _non_empty(config.discover):
            discovery = (_non_empty(config.discover) or "", f'"discover" in {path or "the config file"}')

        configured: list[Endpoint] = []
        if config and _non_empty(config.server) and path:
            configured = Endpoint.parse_list(config.server or "")
            reason = f'"server" in {path}'
            if discovery is None:
                return done(configured, "config_file", reason)
            # With a way to find the server again, a configured server must answer first.
            for endpoint in configured:
                if self.probe(endpoint):
                    return done(configured, "config_file", reason + " answers /health", discovery[0])
            skipped.append(
                f'config file {path}: "server" {", ".join(e.url for e in configured)} does not answer /health'
            )
        elif path:
            skipped.append(f"config file {path}: not found" if config is None else f'config file {path}: no "server"')
        else:
            skipped.append("config file: no HOME or XDG_CONFIG_HOME")

        if discovery is not None:
            command, origin = discovery
            try:
                endpoint = self.discover(command, config=config, ca=ca)
                if self.probe(endpoint):
                    return done([endpoint], "discovery", f"{origin} found {endpoint} and it answers /health", command)
                skipped.append(f"discovery ({origin}): found {endpoint} but it does not answer /health")
            except BacktestClientError as e:
                skipped.append(f"discovery ({origin}): {e.message}")
            if configured and path:
                # Neither answers: keep the configured server, so requests say what is wrong with it.
                return done(configured, "config_file", f'"server" in {path} (it and discovery do not answer)', command)
        else:
            skipped.append('discovery: neither BACKTEST_DISCOVER nor "discover" in the config file')

        if self.probe(self.local_default):
            return done([self.local_default], "local_default", f"{self.local_default} answers /health")
        skipped.append(f"{self.local_default}: does not answer /health")
        raise NoEndpointError("no backtest server found:\n  " + "\n  ".join(skipped), code="no_endpoint")

    def discover(self, command: str, *, config: ClientConfig | None = None, ca: str | None = None) -> Endpoint:
        """Runs the discovery command and parses its output into an endpoint."""
        try:
            output = self.run_discovery(command, self.discovery_timeout)
        except BacktestClientError:
            raise
        except Exception as e:  # an injected runner's own failure
            raise ConfigurationError(f"discovery command failed: {e}", code="discovery_failed") from None
        if config is None:
            try:
                config = self.config()
            except BacktestClientError:
                config = None
        configured = _first_endpoint(config.server if config else None)
        # The port: the output's, else the port argument, BACKTEST_DISCOVER_PORT, the config's
        # server or 8000.
        port = self.port or _int(self.environ.get("BACKTEST_DISCOVER_PORT"))
        if port is None:
            port = configured.port if configured else DEFAULT_PORT
        endpoint = endpoint_in_output(output, port)
        if endpoint is None:
            excerpt = output.strip()[:80]
            raise ConfigurationError(
                f"no IP address in the discovery output ('{excerpt}')", code="discovery_no_address"
            )
        if ca is None:
            ca = self._ca_cert(config, self.config_path())[0]
        tls = ca is not None or (configured is not None and configured.scheme == "https")
        return endpoint.with_scheme("https" if tls else "http")


def _first_endpoint(servers: str | None) -> Endpoint | None:
    if not _non_empty(servers):
        return None
    try:
        return Endpoint.parse_list(servers or "")[0]
    except BacktestClientError:
        return None


def _int(text: str | None) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        return None


def check_ca_cert(path: str, source: str) -> None:
    """Raises ``ConfigurationError`` (``ca_cert_invalid``) when ``path`` holds no PEM
    certificate that can be trusted."""
    import ssl

    try:
        with open(path, "rb") as f:
            text = f.read()
    except OSError as e:
        raise ConfigurationError(
            f"cannot read CA certificate file {path}: {e.strerror or e} (from {source})", code="ca_cert_invalid"
        ) from None
    if b"-----BEGIN CERTIFICATE-----" not in text:
        raise ConfigurationError(
            f"CA certificate file {path} holds no PEM certificate (from {source})", code="ca_cert_invalid"
        )
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=path)
    except (ssl.SSLError, ValueError) as e:
        raise ConfigurationError(
            f"CA certificate file {path} is not valid: {e} (from {source})", code="ca_cert_invalid"
        ) from None
