"""Fixtures: real `backtest serve` processes (see helpers.py), fakes, a clean environment."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers import FakeServer, Server, googl_data_dir, start_server


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Starts servers for one test; all are stopped afterwards."""
    servers: list[Server] = []
    counter = iter(range(1000))

    def make(*args: str, env: dict[str, str] | None = None) -> Server:
        server = start_server(tmp_path / f"server{next(counter)}", *args, env=env)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One shared server with the bundled tickers and GOOGL."""
    base = tmp_path_factory.mktemp("shared-server")
    s = start_server(base, "--data-dir", str(googl_data_dir(base / "data")))
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's configuration: a throw-away HOME and XDG_CONFIG_HOME and
    none of the client's variables."""
    for name in (
        "BACKTEST_URL",
        "BACKTEST_API_KEY",
        "BACKTEST_CA_CERT",
        "BACKTEST_DISCOVER",
        "BACKTEST_DISCOVER_PORT",
    ):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))


@pytest.fixture
def fake_factory() -> Iterator[Callable[..., FakeServer]]:
    fakes: list[FakeServer] = []

    def make(upstream: str | None = None) -> FakeServer:
        fake = FakeServer(upstream)
        fakes.append(fake)
        return fake

    yield make
    for fake in fakes:
        fake.close()
