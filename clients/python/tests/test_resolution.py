"""Finding the server as the Swift client does (README "Client configuration"): explicit URL or
vm_ip, BACKTEST_URL, the config file, the discovery command, http://127.0.0.1:8000."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from backtest_client import BacktestingClient, ConfigurationError, Endpoint, NoEndpointError
from backtest_client._endpoint import endpoint_in_output
from backtest_client._resolve import Resolver
from helpers import YEAR, free_port, write_script


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def write_config(home: Path, **members) -> Path:
    folder = home / ".config" / "backtest"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.json"
    path.write_text(json.dumps(members))
    return path


def home() -> Path:
    import os

    return Path(os.environ["HOME"])


def discovery_script(tmp_path: Path, output: str, name: str = "discover.sh") -> str:
    return str(write_script(tmp_path / name, f"#!/bin/sh\necho 'Fetching...'\necho '{output}'\n"))


def client(**kwargs) -> BacktestingClient:
    kwargs.setdefault("local_default", dead_url())
    return BacktestingClient(**kwargs)


def test_explicit_base_url_wins_over_everything(server, monkeypatch) -> None:
    monkeypatch.setenv("BACKTEST_URL", dead_url())
    write_config(home(), server=dead_url())
    with client(base_url=server.url) as c:
        assert c.run_backtest("AAPL", *YEAR)["trades"] == 2
        assert (c.resolution.source, c.resolution.reason) == ("explicit", "base_url was given")


def test_vm_ip_and_port_are_the_manual_override(server) -> None:
    with client(vm_ip="127.0.0.1", port=server.port) as c:
        assert c.health()["status"] == "ok"
        assert c.resolution.endpoints == [Endpoint("http", "127.0.0.1", server.port)]
    with pytest.raises(ValueError, match="not both"):
        BacktestingClient(vm_ip="127.0.0.1", base_url=server.url)


def test_backtest_url_comes_next(server, monkeypatch) -> None:
    monkeypatch.setenv("BACKTEST_URL", f" {server.url}/ ")
    write_config(home(), server=dead_url())
    with client() as c:
        assert c.run_backtest("AAPL", *YEAR)["trades"] == 2
        assert (c.resolution.source, c.resolution.reason) == ("environment", "BACKTEST_URL is set")


@pytest.mark.parametrize("form", ["string", "comma", "list"])
def test_the_config_file_server(server, form: str) -> None:
    dead = dead_url()
    value = {"string": server.url, "comma": f"{server.url}, {dead}", "list": [server.url, dead]}[form]
    path = write_config(home(), server=value)
    with client() as c:
        assert c.run_backtest("AAPL", *YEAR)["trades"] == 2
        assert c.resolution.source == "config_file"
        assert c.resolution.reason == f'"server" in {path}'
        assert c.resolution.endpoints[0].url == server.url


def test_xdg_config_home_is_read_before_home(server, monkeypatch, tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    (xdg / "backtest").mkdir(parents=True)
    (xdg / "backtest" / "config.json").write_text(json.dumps({"server": server.url}))
    write_config(home(), server=dead_url())
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    with client() as c:
        assert c.health()["status"] == "ok"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    with client(retries=0) as c:
        assert c.resolve().endpoints[0].url != server.url  # ~/.config/backtest/config.json now


def test_an_invalid_config_file_is_one_clear_error() -> None:
    path = write_config(home())
    path.write_text("{not json")
    with pytest.raises(ConfigurationError) as caught:
        client().resolve()
    assert caught.value.code == "config_invalid"
    assert str(path) in str(caught.value)


def test_the_discovery_command_finds_the_server(server, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BACKTEST_DISCOVER", discovery_script(tmp_path, f"External IP: 127.0.0.1:{server.port}"))
    with client() as c:
        assert c.run_backtest("AAPL", *YEAR)["trades"] == 2
        r = c.resolution
    assert r.source == "discovery"
    assert r.endpoints == [Endpoint("http", "127.0.0.1", server.port)]
    assert r.reason == f"BACKTEST_DISCOVER found http://127.0.0.1:{server.port} and it answers /health"


def test_discovery_port_from_the_environment_or_the_config(server, monkeypatch, tmp_path: Path) -> None:
    script = discovery_script(tmp_path, "External IP: 127.0.0.1")
    monkeypatch.setenv("BACKTEST_DISCOVER", script)
    monkeypatch.setenv("BACKTEST_DISCOVER_PORT", str(server.port))
    with client() as c:
        assert c.resolve().endpoints == [Endpoint("http", "127.0.0.1", server.port)]
    monkeypatch.delenv("BACKTEST_DISCOVER_PORT")
    with client(port=server.port) as c:  # the old interface's port argument
        assert c.resolve().endpoints == [Endpoint("http", "127.0.0.1", server.port)]


def test_a_configured_server_that_is_down_is_found_again_by_discovery(server, tmp_path: Path) -> None:
    # A VM that restarted with a new IP: the config's server is stale, its discover command knows.
    dead = dead_url()
    script = discovery_script(tmp_path, "External IP: 127.0.0.1")
    path = write_config(home(), server=dead, discover=script)
    port = int(dead.rsplit(":", 1)[1])
    # the port comes from the config's server, so point BACKTEST_DISCOVER_PORT at the live one
    with client(environ={"HOME": str(home()), "BACKTEST_DISCOVER_PORT": str(server.port)}) as c:
        r = c.resolve()
        assert c.health()["status"] == "ok"
    assert r.source == "discovery"
    assert r.reason.startswith(f'"discover" in {path} found http://127.0.0.1:{server.port}')
    assert any("does not answer /health" in s and str(port) in s for s in r.skipped)


def test_a_configured_server_that_answers_wins_over_discovery(server, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    script = write_script(tmp_path / "d.sh", f"#!/bin/sh\ntouch {marker}\necho 127.0.0.1:1\n")
    write_config(home(), server=server.url, discover=str(script))
    with client() as c:
        r = c.resolve()
    assert r.source == "config_file" and r.reason.endswith("answers /health")
    assert r.discovery_command == str(script)
    assert not marker.exists()


def test_rediscovery_in_the_middle_of_a_run(server_factory, tmp_path: Path) -> None:
    first, second = server_factory(), server_factory()
    address = tmp_path / "address"
    address.write_text(f"External IP: 127.0.0.1:{first.port}\n")
    write_config(home(), discover=f"cat {address}")
    with client(sleep=lambda s: None) as c:
        assert c.run_backtest("AAPL", *YEAR)["trades"] == 2
        assert c.resolution.endpoints[0].port == first.port
        first.stop()
        address.write_text(f"External IP: 127.0.0.1:{second.port}\n")  # the VM came back elsewhere
        assert c.run_backtest("MSFT", *YEAR)["ticker"] == "MSFT"
        assert c.resolution.endpoints[0].port == second.port
        assert c.resolution.reason.startswith("rediscovered")


def test_nothing_found_names_every_step(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BACKTEST_DISCOVER", discovery_script(tmp_path, "no address here"))
    local = dead_url()
    with pytest.raises(NoEndpointError) as caught:
        BacktestingClient(local_default=local).run_backtest("AAPL", *YEAR)
    message = str(caught.value)
    assert message.startswith("no backtest server found:\n")
    for phrase in (
        "base_url/vm_ip: not given",
        "BACKTEST_URL: not set",
        "config.json: not found",
        "discovery (BACKTEST_DISCOVER): no IP address in the discovery output ('Fetching...\nno address here')",
        f"{local}: does not answer /health",
    ):
        assert phrase in message


def test_a_hanging_discovery_command_is_killed(monkeypatch, tmp_path: Path) -> None:
    script = write_script(tmp_path / "hang.sh", "#!/bin/sh\nsleep 30 &\nsleep 30\n")
    monkeypatch.setenv("BACKTEST_DISCOVER", str(script))
    started = time.monotonic()
    with pytest.raises(NoEndpointError) as caught:
        BacktestingClient(local_default=dead_url(), discovery_timeout=0.5).resolve()
    assert time.monotonic() - started < 5
    assert "did not finish within 0.5 s" in str(caught.value)


def test_the_local_default_comes_last(server) -> None:
    with BacktestingClient(local_default=server.url) as c:
        assert c.run_backtest("AAPL", *YEAR)["trades"] == 2
        assert c.resolution.source == "local_default"


def test_api_key_order_argument_environment_config(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"server": "http://127.0.0.1:1", "api_key": "from-config"}))

    def key(**kwargs) -> tuple[str | None, str | None]:
        r = Resolver(config_file=str(config), **kwargs).resolve()
        return r.api_key, r.api_key_source

    assert key(environ={}) == ("from-config", str(config))
    assert key(environ={"BACKTEST_API_KEY": "from-env"}) == ("from-env", "BACKTEST_API_KEY")
    assert key(environ={"BACKTEST_API_KEY": "from-env"}, api_key="arg") == ("arg", "the api_key argument")


def test_an_api_key_from_the_config_file_is_sent(server_factory, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("s3cret-key\n")
    keyed = server_factory("--api-key-file", str(keys))
    write_config(home(), server=keyed.url, api_key="s3cret-key")
    with client() as c:
        assert c.run_backtest("AAPL", *YEAR)["trades"] == 2


def test_endpoint_parsing_matches_the_swift_client() -> None:
    p = Endpoint.parse
    assert p("http://1.2.3.4:9000") == Endpoint("http", "1.2.3.4", 9000)
    assert p("1.2.3.4") == Endpoint("http", "1.2.3.4", 8000)
    assert p("https://example.com/") == Endpoint("https", "example.com", 443)
    assert p("[::1]:9000") == Endpoint("http", "::1", 9000)
    assert p("fe80::1") == Endpoint("http", "fe80::1", 8000)
    assert p("ftp://x") is None and p("http://a/b") is None and p("h:0") is None
    assert Endpoint("http", "::1", 80).url == "http://[::1]:80"
    with pytest.raises(ConfigurationError, match="'nope://x' is not a server URL"):
        Endpoint.parse_list("http://a:1, nope://x")


def test_discovery_output_parsing_matches_the_swift_client() -> None:
    e = endpoint_in_output
    assert e("External IP: 35.1.2.3") == Endpoint("http", "35.1.2.3", 8000)
    assert e("External IP: 35.1.2.3:9000.") == Endpoint("http", "35.1.2.3", 9000)
    assert e("at 12:30 the VM got 2001:db8::7", 8100) == Endpoint("http", "2001:db8::7", 8100)
    assert e("[2001:db8::7]:9443") == Endpoint("http", "2001:db8::7", 9443)
    assert e("version 1.2.3 and 999.1.1.1") is None
    assert e("natIP\n34.77.1.2\n") == Endpoint("http", "34.77.1.2", 8000)
