"""manage_vm.sh with the real `backtest` (BACKTEST_BIN) as the client, and a real TLS server on
127.0.0.2 / 127.0.0.3 standing in for the VM before and after a restart (the fake gcloud hands
out those addresses). Skipped, with the reason, when BACKTEST_BIN is not given or lacks
`cert init`, `config set` or `serve --tls-cert`."""

import json
import os
import select
import signal
import subprocess
import time

import pytest

from conftest import MANAGE_VM, require_backtest

P = "test-project"
Z = "europe-west1-b"
KEY = "fake-api-key-0123456789abcdefghij"
SIX = ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NVDA"]


def tls_backtest():
    binary = require_backtest(("cert", "init"), ("config", "set"), ("serve",))
    help_text = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True, timeout=20).stdout
    if "--tls-cert" not in help_text:
        pytest.skip(f"{binary} has no `serve --tls-cert` yet: real TLS server assertions skipped")
    return binary


def client_env(sandbox, binary):
    env = dict(sandbox.env)
    env["BACKTEST_CLIENT"] = binary
    for name in ("BACKTEST_URL", "BACKTEST_API_KEY", "BACKTEST_DISCOVER", "BACKTEST_DISCOVER_PORT", "BACKTEST_CA_CERT"):
        env.pop(name, None)
    return env


def cert_init(binary, hosts, out):
    result = subprocess.run([binary, "cert", "init", "--host", hosts, "--out", str(out)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result


class Server:
    """`backtest serve` with TLS on HOST (port 0 = any free port)."""

    def __init__(self, binary, host, port, tls, keys, db, env):
        self.process = subprocess.Popen(
            [binary, "serve", "--host", host, "--port", str(port), "--tls-cert", str(tls / "server.pem"),
             "--tls-key", str(tls / "server-key.pem"), "--api-key-file", str(keys), "--db", str(db)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        ready, _, _ = select.select([self.process.stdout], [], [], 30)
        line = self.process.stdout.readline().strip() if ready else ""
        prefix = f"listening on https://{host}:"
        if not line.startswith(prefix):
            self.stop()
            pytest.fail(f"backtest serve on {host}: first line {line!r}, expected {prefix}PORT")
        self.port = int(line[len(prefix):])

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def servers():
    started = []
    yield started
    for server in started:
        server.stop()


def test_cert_init_keeps_the_ca_when_issuing_again(tmp_path):
    """startup.sh issues the server certificate again when the VM's IP changes; clients keep
    trusting it only if `cert init` keeps an existing CA."""
    binary = require_backtest(("cert", "init"))
    out = tmp_path / "tls"
    cert_init(binary, "127.0.0.2,127.0.0.1", out)
    for name in ("ca.pem", "ca-key.pem", "server.pem", "server-key.pem"):
        assert (out / name).is_file(), name
    assert (out / "server-key.pem").stat().st_mode & 0o777 == 0o600
    assert (out / "ca-key.pem").stat().st_mode & 0o777 == 0o600
    ca, server = (out / "ca.pem").read_bytes(), (out / "server.pem").read_bytes()
    cert_init(binary, "127.0.0.3,127.0.0.1", out)
    assert (out / "server.pem").read_bytes() != server
    assert (out / "ca.pem").read_bytes() == ca, (
        "backtest cert init replaced the existing CA in --out: after a VM restart with a new IP every client would "
        "stop trusting the server; it must reuse DIR/ca.pem + DIR/ca-key.pem when they exist")


def test_create_configures_the_real_client(sandbox, tmp_path):
    binary = require_backtest(("config", "set"), ("cert", "init"))
    env = client_env(sandbox, binary)
    # `config set ca-cert` checks the file is a PEM certificate: the "VM" hands out a real one.
    cert_init(binary, "127.0.0.2", tmp_path / "tls")
    sandbox.write_state({"ca_file": str(tmp_path / "tls" / "ca.pem")})
    result = sandbox.run("create", "vm1", "--allow-from", "203.0.113.7/32", "--binary", str(sandbox.binary), env=env)
    assert result.returncode == 0, result.stderr
    config_path = subprocess.run([binary, "config", "path"], env=env, capture_output=True, text=True).stdout.strip()
    assert config_path == str(sandbox.config_home / "backtest" / "config.json")
    config = json.loads((sandbox.config_home / "backtest" / "config.json").read_text())
    assert config["server"] == "https://127.0.0.2:8000"
    assert config["api_key"] == KEY
    assert config["ca_cert"] == str(sandbox.config_home / "backtest" / "vm1-ca.pem")
    assert config["discover"] == f"{MANAGE_VM} ip vm1 --project {P} --zone {Z}"
    shown = subprocess.run([binary, "config", "show"], env=env, capture_output=True, text=True)
    assert shown.returncode == 0 and KEY not in shown.stdout, "config show must mask the API key"


def test_remote_batch_then_rediscovery_after_the_ip_changed(sandbox, servers, tmp_path):
    """create → a TLS batch against the 'VM' at 127.0.0.2; stop + start → the VM is at
    127.0.0.3; the client, still configured with the old address, finds the new one through
    the discover command create stored (`manage_vm.sh ip vm1`)."""
    binary = tls_backtest()
    env = client_env(sandbox, binary)
    tls = tmp_path / "tls"
    cert_init(binary, "127.0.0.2,127.0.0.3,127.0.0.1", tls)
    keys = tmp_path / "api-keys"
    keys.write_text(KEY + "\n")
    keys.chmod(0o600)
    server_env = {k: v for k, v in env.items() if not k.startswith("BACKTEST_")}
    first = Server(binary, "127.0.0.2", 0, tls, keys, tmp_path / "a.sqlite", server_env)
    servers.append(first)
    port = first.port
    sandbox.write_state({"ca_file": str(tls / "ca.pem"), "ip_pool": ["127.0.0.2", "127.0.0.3"]})

    result = sandbox.run("create", "vm1", "--allow-from", "203.0.113.7/32", "--port", str(port),
                         "--binary", str(sandbox.binary), env=env)
    assert result.returncode == 0, result.stderr
    assert f"https://127.0.0.2:{port} answers /health from here" in result.stderr

    batch = subprocess.run([binary, "batch", *SIX, "--start", "2020-01-01", "--end", "2020-12-31"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert batch.returncode == 0, batch.stderr
    assert "6 succeeded, 0 failed" in batch.stdout + batch.stderr
    assert f"127.0.0.2:{port}" in batch.stdout + batch.stderr

    # The VM stops (the server with it) and starts with another external IP.
    first.stop()
    assert sandbox.run("stop", "vm1", env=env).returncode == 0
    assert sandbox.run("start", "vm1", "--no-wait", env=env).returncode == 0
    servers.append(Server(binary, "127.0.0.3", port, tls, keys, tmp_path / "b.sqlite", server_env))

    started = time.monotonic()
    endpoint = subprocess.run([binary, "endpoint"], env=env, capture_output=True, text=True, timeout=60)
    assert endpoint.returncode == 0, endpoint.stderr
    assert f"https://127.0.0.3:{port}" in endpoint.stdout, (
        "the client did not re-discover the VM: with \"server\" (the old address) and \"discover\" both in the config, "
        "a server that does not answer must make the client run the discover command\n" + endpoint.stdout)
    batch = subprocess.run([binary, "batch", *SIX, "--start", "2020-01-01", "--end", "2020-12-31"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert batch.returncode == 0, batch.stderr
    assert "6 succeeded, 0 failed" in batch.stdout + batch.stderr
    assert time.monotonic() - started < 60
