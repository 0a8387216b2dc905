"""deploy/gcp/startup.sh (the VM side) in a pretend VM: a temporary root (BACKTEST_ROOT), the
metadata server as files (BACKTEST_METADATA_URL=file://…), fake systemctl/journalctl, and a
curl whose https://127.0.0.1:PORT/health answers when the service is active and the
installed release is a healthy one."""

import os
import stat
import subprocess

from conftest import STARTUP, UNIT


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_boot_without_a_binary_provisions_and_waits(vm):
    result = vm.run()
    assert result.returncode == 0, result.stderr
    assert "no binary installed yet: manage_vm.sh create/deploy uploads it" in result.stderr
    keys = vm.file("etc/backtest/api-keys")
    assert mode(keys) == 0o600
    lines = [l for l in keys.read_text().splitlines() if not l.startswith("#")]
    assert len(lines) == 1 and len(lines[0]) == 43 and set(lines[0]) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    env = vm.file("etc/backtest/env").read_text()
    assert "BACKTEST_HOST=0.0.0.0\nBACKTEST_PORT=8000\nBACKTEST_DB=/var/lib/backtest/backtest.sqlite\n" in env
    assert vm.file("etc/systemd/system/backtest.service").read_text() == UNIT.read_text()
    assert not vm.file("etc/systemd/system/backtest.service.d/low-port.conf").exists()
    assert vm.systemctl() == ["daemon-reload", "enable --quiet backtest.service"]
    assert vm.cert_inits() == []


def test_boot_is_idempotent_and_keeps_the_admins_files(vm):
    assert vm.run().returncode == 0
    key = vm.file("etc/backtest/api-keys").read_text()
    env = vm.file("etc/backtest/env")
    env.write_text(env.read_text() + "BACKTEST_WORKERS=1\n")
    vm.reset_logs()
    assert vm.run().returncode == 0
    assert vm.file("etc/backtest/api-keys").read_text() == key
    assert "BACKTEST_WORKERS=1" in env.read_text()
    assert vm.systemctl() == ["enable --quiet backtest.service"]    # unit unchanged: no daemon-reload


def test_install_then_reboots(vm):
    tarball = vm.release("v1")
    result = vm.run("install", str(tarball))
    assert result.returncode == 0, result.stderr
    assert "installed; backtest answers /health on port 8000" in result.stderr
    assert not tarball.exists()
    assert os.readlink(vm.file("usr/local/bin/backtest")) == "../lib/backtest/current/backtest"
    assert vm.installed_version() == "v1"
    sample = vm.file("usr/local/lib/backtest/current/Backtest_MarketData.resources/sample/AAPL.csv")
    assert sample.exists()
    for path in (sample, vm.file("usr/local/lib/backtest/current/backtest")):
        assert path.stat().st_uid == os.getuid()       # not the packer's uid
        assert mode(path) & 0o022 == 0                  # writable by the owner only
    assert vm.cert_inits() == ["35.1.2.3,10.128.0.2,127.0.0.1"]
    tls = vm.file("etc/backtest/tls")
    assert mode(tls / "server-key.pem") == 0o600 and mode(tls / "ca-key.pem") == 0o600
    assert mode(tls / "ca.pem") == 0o644 and mode(tls / "server.pem") == 0o644
    assert vm.systemctl()[-1] == "restart backtest.service"
    assert (vm.fake / "health-ports.log").read_text().split() == ["8000"]
    ca = (tls / "ca.pem").read_text()

    # A reboot with the same addresses: nothing to do.
    vm.reset_logs()
    assert vm.run().returncode == 0
    assert vm.cert_inits() == []
    assert "restart backtest.service" not in vm.systemctl()

    # Stopped and started: a new external IP. The certificate is issued again (same CA) and
    # the server restarted with it.
    vm.set_metadata(external="35.9.9.9")
    vm.reset_logs()
    result = vm.run()
    assert result.returncode == 0, result.stderr
    assert vm.cert_inits() == ["35.9.9.9,10.128.0.2,127.0.0.1"]
    assert "35.9.9.9" in (tls / "server.pem").read_text()
    assert (tls / "ca.pem").read_text() == ca
    assert vm.systemctl()[-1] == "restart backtest.service"
    assert "WARNING: the CA certificate changed" not in result.stderr


def test_a_new_ca_is_reported(vm):
    """Should `cert init` ever replace the CA, clients no longer trust the server: say so."""
    assert vm.run("install", str(vm.release())).returncode == 0
    vm.env["FAKE_CERT_NEW_CA"] = "1"
    vm.set_metadata(external="35.9.9.9")
    result = vm.run()
    assert result.returncode == 0
    assert "WARNING: the CA certificate changed; clients must fetch it again (manage_vm.sh connect VM)" in result.stderr


def test_deploy_rolls_back_a_release_that_does_not_answer(vm):
    assert vm.run("install", str(vm.release("v1"))).returncode == 0
    assert vm.run("install", str(vm.release("v2"))).returncode == 0
    assert vm.installed_version() == "v2"
    assert vm.file("usr/local/lib/backtest/previous/backtest").exists()

    result = vm.run("install", str(vm.release("v3", healthy=False)))
    assert result.returncode == 3, result.stderr
    assert "the new release does not answer /health" in result.stderr
    assert "fake journal line" in result.stderr
    assert "rolled back: the previous release answers /health" in result.stderr
    assert vm.installed_version() == "v2"
    assert "VERSION=v3" in vm.file("usr/local/lib/backtest/failed/backtest").read_text()


def test_a_first_install_that_does_not_answer_fails(vm):
    result = vm.run("install", str(vm.release("v1", healthy=False)))
    assert result.returncode == 1
    assert "the new release does not answer /health" in result.stderr


def test_rollback_to_a_release_that_does_not_answer_either(vm):
    assert vm.run("install", str(vm.release("v1"))).returncode == 0
    # the installed release breaks (its file edited in place), then a bad deploy
    current = vm.file("usr/local/lib/backtest/current/backtest")
    current.write_text(current.read_text().replace("HEALTHY=1", "HEALTHY=0"))
    result = vm.run("install", str(vm.release("v2", healthy=False)))
    assert result.returncode == 4
    assert "rolled back, but the previous release does not answer /health either" in result.stderr


def test_a_binary_that_does_not_run_is_refused_before_anything_changes(vm):
    assert vm.run("install", str(vm.release("v1"))).returncode == 0
    vm.reset_logs()
    result = vm.run("install", str(vm.release("v2", runs=False)))
    assert result.returncode == 1
    assert "the uploaded binary does not run on this VM (build it with --static-swift-stdlib)" in result.stderr
    assert "libswiftCore.so" in result.stderr
    assert vm.installed_version() == "v1"
    assert "restart backtest.service" not in vm.systemctl()


def test_install_refuses_garbage(vm):
    bad = vm.root / "tmp" / "bad.tar.gz"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text("not a tarball")
    result = vm.run("install", str(bad))
    assert result.returncode == 1 and "is not a readable tar.gz" in result.stderr
    result = vm.run("install", str(vm.root / "tmp" / "missing.tar.gz"))
    assert result.returncode == 1 and "no release tarball" in result.stderr


def test_a_port_below_1024_gets_the_capability(vm):
    vm.set_metadata(port="443")
    assert vm.run().returncode == 0
    dropin = vm.file("etc/systemd/system/backtest.service.d/low-port.conf").read_text()
    assert "CapabilityBoundingSet=CAP_NET_BIND_SERVICE" in dropin
    assert "AmbientCapabilities=CAP_NET_BIND_SERVICE" in dropin
    assert "BACKTEST_PORT=443" in vm.file("etc/backtest/env").read_text()


def test_api_key_status_and_health_verbs(vm):
    assert vm.run("install", str(vm.release())).returncode == 0
    key = vm.run("api-key")
    assert key.returncode == 0
    assert key.stdout.strip() == [l for l in vm.file("etc/backtest/api-keys").read_text().splitlines()
                                  if not l.startswith("#")][0]
    status = vm.run("status")
    assert status.stdout.splitlines() == ["service: active (systemctl status backtest)", 'health:  {"status":"ok"}']
    assert vm.run("health", "1").returncode == 0
    (vm.fake / "service-state").write_text("failed")
    assert vm.run("health", "0.2").returncode == 1
    assert "service: failed" in vm.run("status").stdout


def test_a_bad_port_in_metadata_is_refused(vm):
    vm.set_metadata(port="80a")
    result = vm.run()
    assert result.returncode == 1 and "metadata backtest-port is not a port: '80a'" in result.stderr


def test_the_script_survives_being_read_from_stdin(vm):
    """manage_vm.sh runs it as `sudo bash -s -- install …` with the script on stdin."""
    tarball = vm.release()
    result = subprocess.run(["bash", "-s", "--", "install", str(tarball)], input=STARTUP.read_text(), env=vm.env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert vm.installed_version() == "v1"
