"""Fixtures for the deploy tests: a sandbox where `gcloud` is the fake (fake_gcloud.py).

Every test runs the scripts with PATH = the fakes, then a folder of links to every system
tool except gcloud (so the real Google Cloud CLI, if installed, can never be reached), a
throw-away HOME / XDG_CONFIG_HOME / CLOUDSDK_CONFIG, and no network beyond 127.0.0.1.

BACKTEST_BIN (optional) names a real `backtest` binary; tests that need one skip, saying
so, when it is missing or lacks the commands they use.
"""

import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent.parent
MANAGE_VM = REPO / "deploy" / "gcp" / "manage_vm.sh"
STARTUP = REPO / "deploy" / "gcp" / "startup.sh"
UNIT = REPO / "deploy" / "systemd" / "backtest.service"
FAKES = TESTS / "fakes"
VM_FAKES = TESTS / "vm-fakes"
HIDDEN_TOOLS = {"gcloud", "gsutil", "bq", "docker-credential-gcloud", "git-credential-gcloud.sh", "backtest"}


@pytest.fixture(scope="session")
def toolbin(tmp_path_factory):
    """A folder of links to the system's tools, without gcloud and friends."""
    directory = tmp_path_factory.mktemp("toolbin")
    for source in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        if not os.path.isdir(source):
            continue
        for entry in os.scandir(source):
            if entry.name in HIDDEN_TOOLS or (directory / entry.name).exists():
                continue
            try:
                if entry.is_file() and os.access(entry.path, os.X_OK):
                    os.symlink(entry.path, directory / entry.name)
            except OSError:
                pass
    return directory


def real_backtest():
    """The real binary named by BACKTEST_BIN, or None."""
    path = os.environ.get("BACKTEST_BIN", "")
    if path and os.path.isfile(path) and os.access(path, os.X_OK):
        return os.path.realpath(path)
    return None


def backtest_supports(binary, *words):
    """Whether this build has the command `backtest WORDS...` (its --help shows its own usage
    line; an unknown subcommand gets the top-level help)."""
    try:
        result = subprocess.run([binary, *words, "--help"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and f"USAGE: backtest {' '.join(words)}" in result.stdout


def require_backtest(*commands):
    """Skips the test (with the reason) unless BACKTEST_BIN has every command, e.g.
    require_backtest(("config", "set"), ("cert", "init"))."""
    binary = real_backtest()
    if binary is None:
        pytest.skip("BACKTEST_BIN is not set to a backtest binary: real-client assertions skipped")
    for words in commands:
        if not backtest_supports(binary, *words):
            pytest.skip(f"{binary} has no `backtest {' '.join(words)}` yet: real-client assertions skipped")
    return binary


class Sandbox:
    """One test's pretend world: the fake gcloud's state and log, a HOME, an environment."""

    def __init__(self, root: Path, toolbin: Path):
        self.root = root
        self.home = root / "home"
        self.config_home = self.home / ".config"
        self.fake_dir = root / "gcloud"
        self.state_path = self.fake_dir / "state.json"
        self.log_path = self.fake_dir / "calls.log"
        self.client_log = root / "client.log"
        for d in (self.home, self.config_home, self.fake_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.toolbin = toolbin
        self.env = {
            "PATH": f"{FAKES}:{toolbin}",
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.config_home),
            "CLOUDSDK_CONFIG": str(root / "cloudsdk"),
            "CLOUDSDK_CORE_PROJECT": "test-project",
            "CLOUDSDK_COMPUTE_ZONE": "europe-west1-b",
            "FAKE_PYTHON": sys.executable,
            "FAKE_GCLOUD_STATE": str(self.state_path),
            "FAKE_GCLOUD_LOG": str(self.log_path),
            "FAKE_GCLOUD_DIR": str(self.fake_dir),
            "FAKE_BACKTEST_LOG": str(self.client_log),
            "BACKTEST_CLIENT": str(FAKES / "backtest-client"),
            "BACKTEST_VM_POLL_SECONDS": "0",
            "BACKTEST_VM_SSH_TRIES": "5",
            "LANG": "C.UTF-8",
            "TMPDIR": str(root),
        }
        self.binary = self.make_binary(root / "build" / "backtest")
        self.write_state({})

    @staticmethod
    def make_binary(path: Path, resources=("Backtest_MarketData.resources",)):
        """A pretend release binary with a resource bundle next to it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\necho fake backtest release\n")
        path.chmod(0o755)
        for r in resources:
            (path.parent / r / "sample").mkdir(parents=True, exist_ok=True)
            (path.parent / r / "sample" / "AAPL.csv").write_text("Date,Open,High,Low,Close,Volume\n")
        return path

    # -- the fake's state and log --
    def state(self):
        return json.loads(self.state_path.read_text())

    def write_state(self, updates):
        state = json.loads(self.state_path.read_text()) if self.state_path.exists() else {}
        state.update(updates)
        self.state_path.write_text(json.dumps(state))

    def add_vm(self, name="vm1", status="RUNNING", ip="127.0.0.2", port="8000",
               project="test-project", zone="europe-west1-b", rule=True, ranges=("203.0.113.7/32",)):
        state = self.state()
        instances = state.get("instances", {})
        instances[f"{project}/{zone}/{name}"] = {
            "status": status, "natIP": ip if status == "RUNNING" else None,
            "networkIP": "10.128.0.9", "machineType": "e2-small",
            "metadata": {"backtest-port": port}, "tags": [f"backtest-{name}"],
        }
        firewalls = state.get("firewalls", {})
        if rule:
            firewalls[f"{project}/backtest-{name}"] = {
                "name": f"backtest-{name}", "sourceRanges": list(ranges),
                "allowed": [{"IPProtocol": "tcp", "ports": [port]}], "targetTags": [f"backtest-{name}"],
            }
        self.write_state({"instances": instances, "firewalls": firewalls})

    def calls(self):
        """The gcloud command lines run so far."""
        if not self.log_path.exists():
            return []
        return self.log_path.read_text().splitlines()

    def clear_calls(self):
        if self.log_path.exists():
            self.log_path.unlink()
        if self.client_log.exists():
            self.client_log.unlink()

    def client_calls(self):
        if not self.client_log.exists():
            return []
        return [line.split("\t") for line in self.client_log.read_text().splitlines()]

    # -- running the script --
    def run(self, *args, env=None, stdin=None, timeout=60, script=MANAGE_VM):
        full_env = dict(self.env)
        if env:
            full_env.update(env)
        full_env = {k: v for k, v in full_env.items() if v is not None}
        return subprocess.run(
            ["bash", str(script), *args], env=full_env, input=stdin, capture_output=True,
            text=True, timeout=timeout, cwd=self.root,
        )


@pytest.fixture
def sandbox(tmp_path, toolbin):
    return Sandbox(tmp_path, toolbin)


class VM:
    """A pretend VM for deploy/gcp/startup.sh: a temporary root (BACKTEST_ROOT), the metadata
    server as files (BACKTEST_METADATA_URL=file://…), fake systemctl/journalctl, and a curl
    whose https://127.0.0.1:PORT/health answers when the service is active and the installed
    release is a healthy one (vm-fakes/)."""

    def __init__(self, base: Path, toolbin: Path):
        self.base = base
        self.root = base / "root"
        self.fake = base / "fake"
        self.metadata = base / "metadata"
        for d in (self.root, self.fake, self.metadata):
            d.mkdir(parents=True)
        self.set_metadata(port="8000", unit=UNIT.read_text(), external="35.1.2.3", internal="10.128.0.2")
        real_curl = os.path.realpath(toolbin / "curl")
        self.env = {
            "PATH": f"{VM_FAKES}:{toolbin}",
            "BACKTEST_ROOT": str(self.root),
            "BACKTEST_METADATA_URL": self.metadata.as_uri(),
            "BACKTEST_HEALTH_SECONDS": "0.4",
            "BACKTEST_HEALTH_INTERVAL": "0.1",
            "FAKE_VM": str(self.fake),
            "FAKE_REAL_CURL": real_curl,
            "LANG": "C.UTF-8",
        }

    def set_metadata(self, port=None, unit=None, external=None, internal=None):
        def put(relative, value):
            path = self.metadata / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if value is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(value)
        if port is not None:
            put("instance/attributes/backtest-port", port)
        if unit is not None:
            put("instance/attributes/backtest-unit", unit)
        if external is not None:
            put("instance/network-interfaces/0/access-configs/0/external-ip", external or None)
        if internal is not None:
            put("instance/network-interfaces/0/ip", internal)

    def run(self, *args, timeout=30):
        return subprocess.run(["bash", str(STARTUP), *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout)

    def release(self, version="v1", healthy=True, runs=True, name="release.tar.gz"):
        """A release tarball with a pretend binary and a resource bundle, uploaded to /tmp."""
        script = (VM_FAKES / "release-backtest").read_text()
        script = script.replace("VERSION=v1", f"VERSION={version}").replace("HEALTHY=1", f"HEALTHY={int(healthy)}")
        script = script.replace("RUNS=1", f"RUNS={int(runs)}")
        path = self.root / "tmp" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(path, "w:gz") as tar:
            for member, data, mode in (("backtest", script.encode(), 0o755),
                                       ("Backtest_MarketData.resources/sample/AAPL.csv", b"Date,Open\n", 0o644)):
                info = tarfile.TarInfo(member)
                info.size, info.mode = len(data), mode | 0o022   # group/world-writable, as packed
                info.uid, info.gid = 1234, 1234                      # by someone else
                tar.addfile(info, io.BytesIO(data))
        return path

    def file(self, relative):
        return self.root / relative

    def systemctl(self):
        log = self.fake / "systemctl.log"
        return log.read_text().splitlines() if log.exists() else []

    def cert_inits(self):
        log = self.fake / "cert-init.log"
        return log.read_text().splitlines() if log.exists() else []

    def installed_version(self):
        link = self.file("usr/local/bin/backtest")
        for line in link.read_text().splitlines():
            if line.startswith("VERSION="):
                return line.split("=", 1)[1]
        return None

    def reset_logs(self):
        for name in ("systemctl.log", "cert-init.log", "journalctl.log"):
            (self.fake / name).unlink(missing_ok=True)


@pytest.fixture
def vm(tmp_path, toolbin):
    return VM(tmp_path / "vm", toolbin)


def quote(*args):
    return shlex.join(args)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Ends the run with the skipped tests' reasons, then `N passed, N failed`."""
    stats = terminalreporter.stats
    passed = len(stats.get("passed", []))
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    skipped = stats.get("skipped", [])
    if skipped:
        terminalreporter.write_line(f"{len(skipped)} skipped:")
        for report in skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            terminalreporter.write_line(f"  SKIPPED {report.nodeid}: {reason.removeprefix('Skipped: ')}")
    terminalreporter.write_line(f"{passed} passed, {failed} failed")
