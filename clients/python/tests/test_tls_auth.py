"""HTTPS with a private CA (`backtest cert init`), and API keys."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from backtest_client import (
    AuthenticationError,
    BacktestingClient,
    ConfigurationError,
    TLSError,
    TransportError,
)
from helpers import YEAR, Sleeps, backtest_binary


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [backtest_binary(), "cert", "init", "--host", "127.0.0.1", "--out", str(folder)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return folder


@pytest.fixture
def tls_server(server_factory, tls_files: Path):
    return server_factory("--tls-cert", str(tls_files / "server.pem"), "--tls-key", str(tls_files / "server-key.pem"))


def test_https_with_the_private_ca_is_trusted(tls_server, tls_files: Path) -> None:
    assert tls_server.url.startswith("https://127.0.0.1:")
    with BacktestingClient(base_url=tls_server.url, ca_cert=str(tls_files / "ca.pem")) as client:
        assert client.run_backtest("AAPL", *YEAR)["trades"] == 2
        results = client.run_batch_backtests(["AAPL", "MSFT", "TSLA"], *YEAR)
    assert [("error" in r) for r in results] == [False, False, True]


def test_without_the_ca_the_certificate_is_refused_once_with_one_clear_message(tls_server) -> None:
    sleeps = Sleeps()
    with BacktestingClient(base_url=tls_server.url, sleep=sleeps) as client:
        with pytest.raises(TLSError) as caught:
            client.run_backtest("AAPL", *YEAR)
        with pytest.raises(TLSError) as batch:  # every item would fail alike: raised once
            client.run_batch_backtests(["AAPL", "MSFT"], *YEAR)
    message = str(caught.value)
    assert caught.value.code == "certificate_rejected"
    assert "\n" not in message
    assert message.startswith(f"cannot reach {tls_server.url}: TLS certificate of 127.0.0.1 has an untrusted issuer (")
    assert "trust its CA with ca_cert=PATH, BACKTEST_CA_CERT or the config's ca_cert" in message
    assert batch.value.code == "certificate_rejected"
    assert sleeps.waits == []  # never retried


def test_a_certificate_for_another_host_is_refused_naming_it(server_factory, tmp_path: Path) -> None:
    folder = tmp_path / "tls-other"
    subprocess.run(
        [backtest_binary(), "cert", "init", "--host", "10.1.2.3", "--out", str(folder)], check=True, capture_output=True
    )
    other = server_factory("--tls-cert", str(folder / "server.pem"), "--tls-key", str(folder / "server-key.pem"))
    with BacktestingClient(base_url=other.url, ca_cert=str(folder / "ca.pem")) as client:
        with pytest.raises(TLSError, match=r"TLS certificate is not for 127\.0\.0\.1"):
            client.health()


def test_the_ca_from_the_environment_and_from_the_config_file(tls_server, tls_files: Path, monkeypatch) -> None:
    monkeypatch.setenv("BACKTEST_CA_CERT", str(tls_files / "ca.pem"))
    with BacktestingClient(base_url=tls_server.url) as client:
        assert client.health()["status"] == "ok"
    monkeypatch.delenv("BACKTEST_CA_CERT")
    folder = Path(os.environ["XDG_CONFIG_HOME"]) / "backtest"
    folder.mkdir(parents=True)
    (folder / "vm-ca.pem").write_bytes((tls_files / "ca.pem").read_bytes())
    (folder / "config.json").write_text(json.dumps({"server": tls_server.url, "ca_cert": "vm-ca.pem"}))
    with BacktestingClient() as client:  # ca_cert relative to the config's folder
        assert client.run_backtest("AAPL", *YEAR)["trades"] == 2
        assert client.resolution.ca_cert == str(folder / "vm-ca.pem")


def test_vm_ip_is_https_when_a_ca_is_configured(tls_server, tls_files: Path) -> None:
    with BacktestingClient(vm_ip="127.0.0.1", port=tls_server.port, ca_cert=str(tls_files / "ca.pem")) as client:
        assert client.health()["status"] == "ok"
        assert client.resolution.endpoints[0].scheme == "https"


def test_a_ca_file_that_is_not_one_is_refused_before_any_request(tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate")
    with pytest.raises(ConfigurationError) as caught:
        BacktestingClient(base_url="https://127.0.0.1:1", ca_cert=str(bogus)).health()
    assert caught.value.code == "ca_cert_invalid"
    assert str(bogus) in str(caught.value)


def test_http_to_a_tls_port_and_https_to_a_plain_port_say_so(tls_server, server) -> None:
    plain_url = tls_server.url.replace("https://", "http://")
    with BacktestingClient(base_url=plain_url, retries=0) as client:
        with pytest.raises(TransportError, match="if it serves HTTPS, use https://"):
            client.health()
    with BacktestingClient(base_url=server.url.replace("http://", "https://"), retries=3) as client:
        with pytest.raises(TLSError, match=r"the server does not speak TLS \(use http://\)"):
            client.health()


def test_api_keys(server_factory, tmp_path: Path, monkeypatch) -> None:
    keys = tmp_path / "keys"
    keys.write_text("k-one\nk-two\n")
    keyed = server_factory("--api-key-file", str(keys))
    sleeps = Sleeps()
    with BacktestingClient(base_url=keyed.url, sleep=sleeps) as client:
        with pytest.raises(AuthenticationError) as caught:
            client.run_backtest("AAPL", *YEAR)
    assert caught.value.status == 401 and caught.value.code == "unauthorized"
    assert str(caught.value).startswith(f"401 from {keyed.url}")
    assert sleeps.waits == []
    with BacktestingClient(base_url=keyed.url, api_key="k-two") as client:
        assert client.run_backtest("AAPL", *YEAR)["trades"] == 2
    monkeypatch.setenv("BACKTEST_API_KEY", "k-one")
    with BacktestingClient(base_url=keyed.url) as client:
        assert len(client.run_batch_backtests(["AAPL", "MSFT"], *YEAR)) == 2
        assert client.resolution.api_key_source == "BACKTEST_API_KEY"
